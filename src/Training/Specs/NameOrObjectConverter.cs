using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dashboard.Training.Specs;

/// <summary>Reads "mnist" as { "name": "mnist" }, as the notebooks write it; writes the full object.</summary>
public sealed class NameOrObjectConverter<T> : JsonConverter<T> where T : class, INamedSpec<T>
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.String => T.FromName(reader.GetString()!),
            JsonTokenType.Null => null,
            // Placed on properties, not on the type, so this inner call does not come back here.
            _ => JsonSerializer.Deserialize<T>(ref reader, options),
        };

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}
