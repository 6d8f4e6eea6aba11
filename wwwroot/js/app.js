// The one script every page loads (besides Blazor's own). Kept out of the pages so that the Content-Security-Policy
// allows scripts from this site only, none inline. The pages are live through their Blazor circuits; what is left is
// address.js (why in its comment).
import './address.js';
