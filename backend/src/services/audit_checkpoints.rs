//! Writing the audit chain's signed checkpoints: every few minutes while the
//! server runs (`spawn_checkpoints`) and at the end of `server verify-audit`.
//!
//! A new checkpoint is written only after the chain has been verified from
//! the previous checkpoint's head onwards (that head must still carry its
//! hash; every entry since must be HMAC'd and chain on). A chain that fails
//! keeps its old checkpoint, so tampering is never laundered into a fresh
//! checkpoint: it stays reported until someone looks.

use crate::{
    audit::{
        self,
        checkpoint::{Checkpoint, CheckpointDir},
        Anchor, Break, Walk,
    },
    error::ServiceError,
    repo,
    scope::ClinicScope,
    services::audit_log::against_checkpoint,
    Services,
};
use ambula_domain::ClinicId;
use chrono::SubsecRound;
use std::time::Duration;
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

/// What happened to one clinic's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Written(Checkpoint),
    /// No entries yet: nothing to pin.
    Empty,
    /// The chain does not verify from the last checkpoint (or that
    /// checkpoint cannot be trusted): the old checkpoint stays.
    Refused(Break),
}

/// Verifies the clinic's chain since its last checkpoint and, if intact,
/// writes a new checkpoint of its head.
pub async fn checkpoint_clinic(services: &Services, dir: &CheckpointDir, clinic: Uuid) -> Result<Outcome, ServiceError> {
    let key = &services.audit_key;
    let previous = match dir.read(key, clinic) {
        Ok(previous) => previous,
        Err(error) => return Ok(Outcome::Refused(Break { seq: 0, reason: error.to_string() })),
    };
    let scope = ClinicScope::new(ClinicId::from_uuid(clinic));
    let how = Walk {
        from: previous.as_ref().map(|p| Anchor { seq: p.head_seq, hash: p.head_hash.clone() }),
        hmac_after: previous.as_ref().map(|p| p.head_seq),
        note: previous.as_ref().map(|p| p.head_seq),
    };
    let mut tx = services.db.read_in(&scope).await?;
    let walked = audit::walk(&mut tx, key, &scope, &how).await?;
    drop(tx);
    let head = match walked {
        Ok(head) => head,
        Err(broken) => return Ok(Outcome::Refused(broken)),
    };
    if let Some(previous) = &previous {
        if let Err(broken) = against_checkpoint(&head, previous) {
            return Ok(Outcome::Refused(broken));
        }
    }
    if head.seq == 0 {
        return Ok(Outcome::Empty);
    }
    let checkpoint = Checkpoint {
        clinic_id: clinic,
        head_seq: head.seq,
        head_hash: head.hash,
        entry_count: head.seq,
        // Microseconds: what the file keeps.
        written_at: services.now().0.trunc_subsecs(6),
    };
    let (dir, key, written) = (dir.clone(), key.clone(), checkpoint.clone());
    tokio::task::spawn_blocking(move || dir.write(&key, &written))
        .await
        .map_err(|e| ServiceError::Internal(format!("checkpoint writer: {e}")))?
        .map_err(|e| ServiceError::Internal(format!("cannot write the audit checkpoint of clinic {clinic}: {e}")))?;
    Ok(Outcome::Written(checkpoint))
}

/// Checkpoints every clinic; `None` when no checkpoint directory is set.
pub async fn checkpoint_all(services: &Services) -> Result<Option<Vec<(Uuid, Outcome)>>, ServiceError> {
    let Some(dir) = &services.audit_checkpoints else {
        return Ok(None);
    };
    let mut tx = services.db.read().await?;
    let clinics = repo::clinics::all(&mut tx).await?;
    drop(tx);
    let mut outcomes = Vec::with_capacity(clinics.len());
    for (clinic, _) in clinics {
        outcomes.push((clinic, checkpoint_clinic(services, dir, clinic).await?));
    }
    Ok(Some(outcomes))
}

/// One pass, logged: a refused checkpoint is an error naming the clinic.
async fn run_once(services: &Services) {
    match checkpoint_all(services).await {
        Ok(None) => {}
        Ok(Some(outcomes)) => {
            let mut written = 0;
            for (clinic, outcome) in outcomes {
                match outcome {
                    Outcome::Written(_) => written += 1,
                    Outcome::Empty => {}
                    Outcome::Refused(broken) => tracing::error!(
                        %clinic, seq = broken.seq, reason = %broken.reason,
                        "audit chain does not verify against its checkpoint; the checkpoint is kept (run `server verify-audit`)"
                    ),
                }
            }
            tracing::debug!(written, "audit checkpoints written");
        }
        Err(error) => tracing::warn!(%error, "audit checkpoint pass failed; will retry"),
    }
}

/// The running loop; `shutdown` stops it (after the pass in hand).
pub struct CheckpointHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl CheckpointHandle {
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Writes checkpoints now and then every `every` (nothing when the
/// services have no checkpoint directory).
pub fn spawn_checkpoints(services: Services, every: Duration) -> CheckpointHandle {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        if services.audit_checkpoints.is_none() {
            return;
        }
        loop {
            run_once(&services).await;
            tokio::select! {
                changed = stopped.changed() => {
                    if changed.is_err() || *stopped.borrow() {
                        break;
                    }
                }
                _ = tokio::time::sleep(every) => {}
            }
        }
    });
    CheckpointHandle { stop, task }
}
