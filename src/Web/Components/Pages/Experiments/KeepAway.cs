namespace Dashboard.Web.Components.Pages.Experiments;

/// <summary>
/// The form as a run page's Keep away opens it: that run's spec with the distance regulariser on and minima_from set
/// to one of its captured minima ("mnist/00003@epoch-3").
/// </summary>
public static class KeepAway
{
    public static void Apply(ExperimentForm form, string reference)
    {
        form.Values["loss_func.distance"] = "true";
        form.Values["loss_func.minima_from"] = reference;
    }
}
