// The one script every page loads: it starts what the page in front of it needs, found by its elements' ids. Kept
// out of the pages so that the Content-Security-Policy allows scripts from this site only, none inline.
<<<<<<< HEAD
import './address.js';
import { watchSweep } from './runs-live.js';
import { enhanceForm } from './experiment-form.js';

const byId = id => document.getElementById(id);

if (byId('experiment')) watchSweep(byId('experiment'));
if (byId('experiment-form')) enhanceForm(byId('experiment-form'));
=======
import { watchRun } from './run-live.js';
import { watchRuns } from './runs-live.js';
import { watchWorkers } from './workers-live.js';
import { compareRuns } from './compare.js';

const byId = id => document.getElementById(id);

if (byId('run')) watchRun(byId('run'));
if (byId('runs')) watchRuns(byId('runs'));
if (byId('workers')) watchWorkers(byId('workers'), byId('workers-empty'));
if (byId('compare')) compareRuns(byId('compare'));
>>>>>>> form
