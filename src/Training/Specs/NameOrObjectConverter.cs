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
            _ => ReadObject(ref reader, options),
        };

    private static T? ReadObject(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(ref reader, options);
        }
        catch (JsonException e)
        {
            // The nested call reports paths from its own root; put the section back in front.
            var inner = (e.Path ?? "$").TrimStart('$');
            throw new JsonException(e.Message, "$." + T.Section + inner, e.LineNumber, e.BytePositionInLine, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}
