-- Node pools created before ucsd stopped keeping it hold the initial node password of
-- spec.nodeTemplate.extendParam ("init-node-password"): take it out of every stored pool. (Pools
-- created since never have it: the wire type does not write it back.)
UPDATE cce_clusters
SET node_pools = (
    SELECT jsonb_agg(pool #- '{spec,nodeTemplate,extendParam,init-node-password}' ORDER BY position)
    FROM jsonb_array_elements(node_pools::jsonb) WITH ORDINALITY AS pools(pool, position)
)::text
WHERE node_pools LIKE '%init-node-password%';
