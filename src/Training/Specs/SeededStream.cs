namespace Dashboard.Training.Specs;

/// <summary>
/// Random numbers that are a function of their keys alone (SplitMix64, Steele et al. 2014): TPE draws each parameter of
/// each proposal from its own stream, keyed by the sweep's seed, the proposal's index and the parameter, so that a
/// restarted process proposes the same run, and adding a parameter to the space changes no other parameter's draws.
/// System.Random's seeded sequence is kept stable by .NET too, but one seed per stream cannot carry several keys.
/// </summary>
internal sealed class SeededStream
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private ulong _state;

    public SeededStream(params ReadOnlySpan<long> keys)
    {
        ulong h = Golden;
        foreach (var k in keys) h = Mix(h ^ unchecked((ulong)k)) + Golden;
        _state = h;
    }

    public ulong NextUInt64()
    {
        _state = unchecked(_state + Golden);
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in 0 .. n-1.</summary>
    public int Next(int n) => (int)Math.Min((long)(NextDouble() * n), n - 1);

    /// <summary>Standard normal (Box-Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A string's key for a stream: FNV-1a, the same in every process (string.GetHashCode is not).</summary>
    public static long Hash(string text)
    {
        ulong h = 14695981039346656037;
        foreach (char c in text) h = unchecked((h ^ c) * 1099511628211);
        return unchecked((long)h);
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }
}
