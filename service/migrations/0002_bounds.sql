-- Bounded, fault-tolerant verification (issue #17): a challenge keeps its verdict (asking again
-- returns it), counts refused presentations and is retired after a few; challenges and jobs are
-- purged after the retention period, found by these indexes.

ALTER TABLE challenges ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE challenges ADD COLUMN retired_at INTEGER;
ALTER TABLE challenges ADD COLUMN verdict TEXT;            -- the verdict JSON, once settled

CREATE INDEX challenges_by_expiry ON challenges(expires_at);
CREATE INDEX jobs_by_finish ON jobs(finished_at);
