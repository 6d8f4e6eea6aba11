// A sweep's page counter (the form helper's page; the runs table itself is live through the Blazor circuit).
import { setProgress } from './run-live.js';

// A sweep's page: its done-of-N counter and bar, from /api/experiments/{id}, until every run has ended.
