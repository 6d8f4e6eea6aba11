namespace Dashboard.Web.Api;

/// <summary>The API's answer to a bad query string: a 400 whose errors name the field, as the form's errors do.</summary>
public static class BadQuery
{
    public static IResult Field(string field, string error) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [error] });
}
