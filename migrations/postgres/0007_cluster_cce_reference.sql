-- A `self` cluster registered with UCS is a CCE cluster of the tenant: it refers to it (and takes its
-- id), so the UCS reads show the CCE cluster's version and phase, and it can be registered once only.
-- No foreign key: the CCE cluster may be deleted while the registration stays (it then shows as
-- Unavailable).
ALTER TABLE clusters ADD COLUMN cce_cluster_id TEXT;
CREATE UNIQUE INDEX clusters_one_per_cce_cluster ON clusters(cce_cluster_id);
