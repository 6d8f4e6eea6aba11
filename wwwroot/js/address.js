// The compare page's address follows its controls, so that a reload or a shared link shows the same view. Blazor's
// NavigationManager.NavigateTo(replace: true) would route the page again and set every query parameter anew (reading
// the runs from the database for a move of the smoothing slider); history.replaceState only rewrites the address.
window.dashboardAddress = { replace: url => history.replaceState(history.state, '', url) };
