-- Fan-out: a workflow's steps are jobs that workers claim, each with its own lease, fence and backoff.
-- `waiting_for` counts what must end before a pending job may run: for a step, 1 until its parent
-- releases the step's stage; for a parent, the steps of the stage it released that have not ended
-- (each step that ends takes one off in its own transaction, and the last one makes the parent
-- runnable). A pending job runs when nothing holds it and its time has come.

ALTER TABLE jobs ADD COLUMN waiting_for BIGINT NOT NULL DEFAULT 0;
-- How often the work itself failed (a provider call that failed), as opposed to `attempts`, the
-- claims: a claim whose run met an error of ucsd's own (the store, a lost connection) is no failure
-- of the work, and `max_attempts` bounds the failures.
ALTER TABLE jobs ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;

-- Steps recorded before this migration were walked by their parent: every unfinished one is held
-- again (a step that was under way repeats under its idempotency key), and the parent releases them.
UPDATE jobs SET waiting_for = 1, state = 'pending', lease_owner = NULL, lease_expires_at = NULL
 WHERE parent_id IS NOT NULL AND state IN ('pending', 'running');

DROP INDEX jobs_runnable;
CREATE INDEX jobs_runnable ON jobs(run_at) WHERE state = 'pending' AND waiting_for = 0;
-- Parents waiting for their steps (the rescuer's safety net looks at these).
CREATE INDEX jobs_waiting ON jobs(id) WHERE state = 'pending' AND waiting_for > 0 AND parent_id IS NULL;
