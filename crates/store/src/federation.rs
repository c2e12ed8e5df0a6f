//! Federation of fleets: starting a workflow (the fleet's state, its parent job and ordered step
//! sub-jobs, in one transaction), the records a running workflow keeps, and the provider's side-effect
//! log.

use domain::{
    audit::{Actor, NewAuditEvent},
    cluster::ClusterPhase,
    error::ucs,
    federation::Workflow,
    fleet::FederationState,
    ids::{ClusterId, DomainId, FleetId, JobId},
    job::{Job, JobKind, NewJob},
    Error, Result,
};

use crate::{
    job::{job_from_row, JOB_COLUMNS},
    sql::{map_db_err, text},
    Store, Tx,
};

/// Which member clusters a workflow acts on.
#[derive(Debug, Clone)]
pub enum Members {
    /// Every cluster of the fleet.
    All,
    /// These clusters.
    Some(Vec<ClusterId>),
}

/// What a federated fleet's control plane is made of.
#[derive(Debug, Clone, Default)]
pub struct FederationRecord {
    pub ca_cert_pem: String,
    pub ca_key_sealed: String,
    pub api_endpoint: String,
    pub elb_id: String,
    pub connection_id: String,
}

/// The exclusive key of a fleet's federation workflows: one at a time per fleet.
fn fleet_key(fleet_id: FleetId) -> String {
    format!("federation:{fleet_id}")
}

/// The exclusive key of a member cluster's join or unjoin.
fn member_key(cluster_id: ClusterId) -> String {
    format!("federation-member:{cluster_id}")
}

impl Tx<'_> {
    /// Records a federation workflow: the parent job and one sub-job per step, in plan order.
    pub(crate) async fn federation_enqueue(
        &mut self,
        domain_id: DomainId,
        fleet_id: FleetId,
        workflow: Workflow,
        clusters: &[ClusterId],
        payload: serde_json::Value,
    ) -> Result<JobId> {
        let mut parent = NewJob::new(JobKind::Federation(workflow), domain_id, "fleet", fleet_id);
        parent.cursor = payload;
        parent.exclusive_key = Some(match (workflow, clusters) {
            (Workflow::Join | Workflow::Unjoin, [cluster]) => member_key(*cluster),
            _ => fleet_key(fleet_id),
        });
        let busy = Error::new(ucs::FLEET_ALREADY_FEDERATED)
            .with_detail("a federation workflow of this fleet is running");
        let parent_id = self.job_enqueue(parent, busy.clone()).await?;
        for (position, (step, cluster)) in workflow.plan(clusters).into_iter().enumerate() {
            let (resource_type, resource_id) = match cluster {
                Some(c) => ("cluster", c.to_string()),
                None => ("fleet", fleet_id.to_string()),
            };
            let mut sub = NewJob::new(JobKind::FederationStep(step), domain_id, resource_type, resource_id);
            sub.parent_id = Some(parent_id);
            sub.position = position as i64;
            sub.max_attempts = 5;
            self.job_enqueue(sub, busy.clone()).await?;
        }
        Ok(parent_id)
    }

    /// Joins (or unjoins) member clusters of a federated fleet, one workflow per cluster; used when
    /// membership changes while the fleet is federated.
    pub(crate) async fn federation_members_changed(
        &mut self,
        domain_id: DomainId,
        fleet_id: FleetId,
        state: FederationState,
        workflow: Workflow,
        clusters: &[ClusterId],
    ) -> Result<()> {
        match state {
            FederationState::None | FederationState::Failed => Ok(()),
            FederationState::Enabling | FederationState::Disabling => Err(Error::new(
                ucs::ASSOCIATE_CLUSTER_WITH_CLUSTERGROUP_ERROR,
            )
            .with_detail(
                "the fleet's federation is being enabled or disabled; change its clusters when that is done",
            )),
            FederationState::Enabled => {
                for cluster in clusters {
                    self.federation_enqueue(
                        domain_id,
                        fleet_id,
                        workflow,
                        &[*cluster],
                        serde_json::Value::Null,
                    )
                    .await?;
                }
                Ok(())
            }
        }
    }

    pub async fn fleet_federation_set(
        &mut self,
        fleet_id: FleetId,
        state: FederationState,
        message: &str,
        version: Option<&str>,
    ) -> Result<()> {
        let now = self.now_millis();
        sqlx::query(
            "UPDATE fleets SET federation = $1, federation_message = $2,
                federation_version = COALESCE($3, federation_version), updated_at = $4 WHERE id = $5",
        )
        .bind(state.as_str())
        .bind(message)
        .bind(version)
        .bind(now)
        .bind(fleet_id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        Ok(())
    }

    /// Sets one fact of the fleet's federation record (creating the record on first use).
    pub async fn federation_record_set(
        &mut self,
        fleet_id: FleetId,
        domain_id: DomainId,
        fact: FederationFact<'_>,
    ) -> Result<()> {
        let now = self.now_millis();
        sqlx::query(
            "INSERT INTO fleet_federations (fleet_id, domain_id, created_at, updated_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (fleet_id) DO NOTHING",
        )
        .bind(fleet_id.to_string())
        .bind(domain_id.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        let (sql, values): (&str, Vec<&str>) = match fact {
            FederationFact::Ca { cert_pem, key_sealed } => {
                ("ca_cert_pem = $1, ca_key_sealed = $2", vec![cert_pem, key_sealed])
            }
            FederationFact::ApiEndpoint(v) => ("api_endpoint = $1", vec![v]),
            FederationFact::ElbId(v) => ("elb_id = $1", vec![v]),
            FederationFact::ConnectionId(v) => ("connection_id = $1", vec![v]),
        };
        let n = values.len();
        let statement = format!(
            "UPDATE fleet_federations SET {sql}, updated_at = ${} WHERE fleet_id = ${}",
            n + 1,
            n + 2
        );
        let mut query = sqlx::query(&statement);
        for v in values {
            query = query.bind(v);
        }
        query.bind(now).bind(fleet_id.to_string()).execute(&mut *self.tx).await.map_err(map_db_err)?;
        Ok(())
    }

    /// Removes the federation record and id (after a disable tore the control plane down).
    pub async fn federation_record_delete(&mut self, fleet_id: FleetId) -> Result<()> {
        sqlx::query("DELETE FROM fleet_federations WHERE fleet_id = $1")
            .bind(fleet_id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        sqlx::query("UPDATE fleets SET federation_id = '', federation_version = '' WHERE id = $1")
            .bind(fleet_id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}

/// One fact a federation step records.
#[derive(Debug, Clone, Copy)]
pub enum FederationFact<'a> {
    Ca { cert_pem: &'a str, key_sealed: &'a str },
    ApiEndpoint(&'a str),
    ElbId(&'a str),
    ConnectionId(&'a str),
}

impl Store {
    /// Starts `workflow` on a fleet: the fleet's state moves, the workflow's jobs are recorded, in one
    /// transaction; a fleet that cannot start it gets the seed's code.
    pub async fn federation_start(
        &self,
        actor: &Actor,
        fleet_id: FleetId,
        workflow: Workflow,
        members: Members,
        federation_quota: i64,
        payload: serde_json::Value,
    ) -> Result<JobId> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let fleet = tx.fleet_get(actor.domain_id, fleet_id).await?;
        let Some(running) = workflow.start(fleet.federation) else {
            return Err(match fleet.federation {
                FederationState::None => Error::new(ucs::FLEET_NOT_FEDERATED),
                _ => Error::new(ucs::FLEET_ALREADY_FEDERATED)
                    .with_detail(format!("the fleet's federation is {}", fleet.federation.as_str())),
            });
        };
        let clusters: Vec<(ClusterId, ClusterPhase, String)> =
            sqlx::query("SELECT id, phase, name FROM clusters WHERE fleet_id = $1 ORDER BY name")
                .bind(fleet_id.to_string())
                .fetch_all(&mut *tx.tx)
                .await
                .map_err(map_db_err)?
                .iter()
                .map(|r| Ok((crate::sql::parsed(r, "id")?, text(r, "phase")?.parse()?, text(r, "name")?)))
                .collect::<Result<_>>()?;
        let members: Vec<ClusterId> = match members {
            Members::All => clusters.iter().map(|c| c.0).collect(),
            Members::Some(ids) => ids,
        };
        if workflow == Workflow::Enable {
            if clusters.is_empty() {
                return Err(Error::new(ucs::CLUSTER_GROUP_FEDERATION_VALIDATE_FAILED)
                    .with_detail("the fleet has no clusters to federate"));
            }
            if let Some((_, phase, name)) = clusters.iter().find(|c| c.1 != ClusterPhase::Available) {
                return Err(Error::new(ucs::CLUSTER_GROUP_FEDERATION_VALIDATE_FAILED)
                    .with_detail(format!("cluster {name} is {phase}, not Available")));
            }
            let federated: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM fleets WHERE domain_id = $1 AND federation <> 'none'",
            )
            .bind(actor.domain_id.to_string())
            .fetch_one(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
            if fleet.federation == FederationState::None && federated >= federation_quota {
                return Err(Error::new(ucs::INSUFFICIENT_QUOTA).with_detail(format!(
                    "the tenant has {federated} of its {federation_quota} federations"
                )));
            }
        }
        // One workflow for the fleet, or one per member for joins and unjoins: the first one's id.
        let runs: Vec<Vec<ClusterId>> = match workflow {
            Workflow::Join | Workflow::Unjoin => members.iter().map(|m| vec![*m]).collect(),
            _ => vec![members],
        };
        let mut first = None;
        for clusters in runs {
            let job = tx
                .federation_enqueue(actor.domain_id, fleet_id, workflow, &clusters, payload.clone())
                .await?;
            first.get_or_insert(job);
        }
        tx.fleet_federation_set(fleet_id, running, "", None).await?;
        if workflow == Workflow::Enable {
            sqlx::query("UPDATE fleets SET federation_id = $1 WHERE id = $2 AND federation_id = ''")
                .bind(domain::ids::new_uuid().to_string())
                .bind(fleet_id.to_string())
                .execute(&mut *tx.tx)
                .await
                .map_err(map_db_err)?;
        }
        tx.audit(actor, NewAuditEvent::success("fleet", fleet_id)).await?;
        tx.commit().await?;
        first.ok_or_else(|| Error::invalid_body("no member cluster to act on"))
    }

    /// The member clusters whose latest join failed (what `retryjoinall` joins again).
    pub async fn federation_failed_joins(&self, fleet_id: FleetId) -> Result<Vec<ClusterId>> {
        let rows = sqlx::query(
            "SELECT c.id FROM clusters c WHERE c.fleet_id = $1 AND (
                SELECT j.state FROM jobs j WHERE j.kind = $2 AND j.resource_id = c.id
                ORDER BY j.created_at DESC, j.position DESC LIMIT 1) = 'failed'
             ORDER BY c.name",
        )
        .bind(fleet_id.to_string())
        .bind(JobKind::FederationStep(domain::federation::Step::JoinCluster).as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(|r| crate::sql::parsed(r, "id")).collect()
    }

    /// The fleet's latest enable, disable or upgrade workflow with its steps.
    pub async fn federation_progress(
        &self,
        domain_id: DomainId,
        fleet_id: FleetId,
    ) -> Result<Option<(Job, Vec<Job>)>> {
        self.fleet_get(domain_id, fleet_id).await?;
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE resource_type = 'fleet' AND resource_id = $1 AND parent_id IS NULL
               AND kind IN ($2, $3, $4)
             ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(fleet_id.to_string())
        .bind(JobKind::Federation(Workflow::Enable).as_str())
        .bind(JobKind::Federation(Workflow::Disable).as_str())
        .bind(JobKind::Federation(Workflow::Upgrade).as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_db_err)?;
        let Some(parent) = row.as_ref().map(job_from_row).transpose()? else { return Ok(None) };
        let subjobs = self.job_subjobs(parent.id).await?;
        Ok(Some((parent, subjobs)))
    }

    /// A workflow's steps in order.
    pub async fn job_subjobs(&self, parent: JobId) -> Result<Vec<Job>> {
        let rows =
            sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE parent_id = $1 ORDER BY position"))
                .bind(parent.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_db_err)?;
        rows.iter().map(job_from_row).collect()
    }

    pub async fn federation_record(
        &self,
        domain_id: DomainId,
        fleet_id: FleetId,
    ) -> Result<Option<FederationRecord>> {
        let row = sqlx::query(
            "SELECT ca_cert_pem, ca_key_sealed, api_endpoint, elb_id, connection_id FROM fleet_federations
             WHERE fleet_id = $1 AND domain_id = $2",
        )
        .bind(fleet_id.to_string())
        .bind(domain_id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_db_err)?;
        row.map(|r| {
            Ok(FederationRecord {
                ca_cert_pem: text(&r, "ca_cert_pem")?,
                ca_key_sealed: text(&r, "ca_key_sealed")?,
                api_endpoint: text(&r, "api_endpoint")?,
                elb_id: text(&r, "elb_id")?,
                connection_id: text(&r, "connection_id")?,
            })
        })
        .transpose()
    }

    /// Records a federation network connection of an enabled fleet.
    pub async fn federation_connection_set(
        &self,
        actor: &Actor,
        fleet_id: FleetId,
        connection_id: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let fleet = tx.fleet_get(actor.domain_id, fleet_id).await?;
        if fleet.federation != FederationState::Enabled {
            return Err(Error::new(ucs::FLEET_NOT_FEDERATED));
        }
        tx.federation_record_set(fleet_id, actor.domain_id, FederationFact::ConnectionId(connection_id))
            .await?;
        tx.audit(actor, NewAuditEvent::success("fleet", fleet_id)).await?;
        tx.commit().await
    }

    /// Records a provider side effect under its idempotency key; `true` the first time (the effect is
    /// to be carried out), `false` for a repeat (counted, not carried out again).
    pub async fn provider_effect_record(
        &self,
        key: &str,
        effect: &str,
        resource_id: &str,
        detail: &str,
    ) -> Result<bool> {
        let now = self.now_millis();
        let inserted = sqlx::query(
            "INSERT INTO provider_effects (idempotency_key, effect, resource_id, detail, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(key)
        .bind(effect)
        .bind(resource_id)
        .bind(detail)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?
        .rows_affected()
            == 1;
        if !inserted {
            sqlx::query("UPDATE provider_effects SET calls = calls + 1 WHERE idempotency_key = $1")
                .bind(key)
                .execute(&self.pool)
                .await
                .map_err(map_db_err)?;
        }
        Ok(inserted)
    }

    /// The recorded detail of an effect (what a repeated call answers).
    pub async fn provider_effect_detail(&self, key: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT detail FROM provider_effects WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)
    }

    /// Every recorded effect on a resource: (effect, calls), oldest first.
    pub async fn provider_effects(&self, resource_id: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT effect, calls FROM provider_effects WHERE resource_id = $1 ORDER BY created_at, idempotency_key",
        )
        .bind(resource_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(|r| Ok((text(r, "effect")?, crate::sql::int(r, "calls")?))).collect()
    }
}
