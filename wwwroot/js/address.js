// The compare page's and the runs table's address follows their controls, so that a reload or a shared link shows the
// same view. Blazor's NavigationManager.NavigateTo(replace: true) would route the page again and set every query
// parameter anew (reading the runs from the database for a move of the smoothing slider); history.replaceState only
// rewrites the address. It keeps history.state, where Blazor keeps what its navigation needs.
window.dashboardAddress = { replace: url => history.replaceState(history.state, '', url) };
