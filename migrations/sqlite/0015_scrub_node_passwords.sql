-- Node pools created before ucsd stopped keeping it hold the initial node password of
-- spec.nodeTemplate.extendParam ("init-node-password"): take it out of every stored pool. (Pools
-- created since never have it: the wire type does not write it back.)
UPDATE cce_clusters
SET node_pools = (
    SELECT json_group_array(json(json_remove(pools.value, '$.spec.nodeTemplate.extendParam."init-node-password"')))
    FROM (SELECT value FROM json_each(cce_clusters.node_pools) ORDER BY CAST(key AS INTEGER)) AS pools
)
WHERE node_pools LIKE '%init-node-password%';
