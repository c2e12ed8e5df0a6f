-- What ucsd keeps of each installed addon of a CCE or CCE Autopilot cluster besides its version
-- (cce_clusters.addons): addon name -> {values, createdAt, updatedAt}, JSON. Addons installed with the
-- cluster have none.
ALTER TABLE cce_clusters ADD COLUMN addon_instances TEXT NOT NULL DEFAULT '{}';
