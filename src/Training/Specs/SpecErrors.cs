namespace Dashboard.Training.Specs;

/// <summary>Messages per dotted field path ("optimizer.lr"), as the form and the API's problem details show them.</summary>
public sealed class SpecErrors
{
    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

    public void Add(string field, string message)
    {
        if (!_byField.TryGetValue(field, out var list)) _byField[field] = list = [];
        // A sweep finds the same bad value in every combination that has it: say it once.
        if (!list.Contains(message)) list.Add(message);
    }

    public bool Any => _byField.Count > 0;
    public IEnumerable<string> Fields => _byField.Keys;
    public IReadOnlyDictionary<string, string[]> ToDictionary() => _byField.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    public IEnumerable<string> For(string field) => _byField.TryGetValue(field, out var l) ? l : [];
    public override string ToString() => string.Join("; ", _byField.SelectMany(kv => kv.Value.Select(m => $"{kv.Key}: {m}")));
}

public sealed class InvalidSpecException(SpecErrors errors) : Exception("invalid spec: " + errors)
{
    public SpecErrors Errors { get; } = errors;
}
