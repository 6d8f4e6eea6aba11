using System.Data.Common;

namespace Dashboard.Data;

public static class DbCommands
{
    /// <summary>Adds a named parameter through the provider-neutral API (one query text for SQLite and PostgreSQL); returns it.</summary>
    public static DbParameter AddParameter(this DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
        return p;
    }
}
