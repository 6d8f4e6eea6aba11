// The one script every page loads: it starts what the page in front of it needs, found by its elements' ids. Kept
// out of the pages so that the Content-Security-Policy allows scripts from this site only, none inline.
import './address.js';
import { watchSweep } from './runs-live.js';
import { enhanceForm } from './experiment-form.js';

const byId = id => document.getElementById(id);

if (byId('experiment')) watchSweep(byId('experiment'));
if (byId('experiment-form')) enhanceForm(byId('experiment-form'));
