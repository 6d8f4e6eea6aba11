using System.Security.Cryptography;
using System.Text;

namespace Dashboard.Training.Alerts;

/// <summary>The webhook signature: the body's HMAC-SHA256 with the rule's secret, as GitHub signs its webhooks.</summary>
public static class AlertSignature
{
    public const string Header = "X-Dashboard-Signature";

    /// <summary>"sha256=" and the lowercase hex of HMAC-SHA256(secret, body).</summary>
    public static string Of(byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
