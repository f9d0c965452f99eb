//! The daily job: what `desk sweep` does by hand and the `daily` function
//! runs every night in AWS, written once. The files of claims that are gone,
//! what the store keeps past its retention (on DynamoDB, what TTL leaves:
//! the history lines and leave items of former contacts, their
//! invitations), then the invitation rounds due on their meeting's announced
//! date (`invitations.send_on_announced`).

use super::Forms;
use super::desk::swept_summary;
use super::invitations::{InviteError, Step};
use crate::files::FileError;
use crate::store::{Store, StoreError, Swept};
use ccg_model::SiteConfig;

#[derive(Debug, thiserror::Error)]
pub enum DailyError {
    #[error("the documents' files: {0}")]
    Files(#[from] FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the invitations: {0}")]
    Invitations(#[from] InviteError),
}

/// What one run did: counts only, never a person.
#[derive(Debug, Clone, Default)]
pub struct Daily {
    /// Document files deleted because their claim is gone.
    pub files: usize,
    /// Uploads to the members' repository the desk never added (`service::shared_uploads`).
    pub uploads: usize,
    /// What the store deleted or blanked (`None`: nothing to sweep).
    pub swept: Option<Swept>,
    /// The meetings whose invitations went, and where each round stands.
    pub rounds: Vec<(String, Step)>,
}

impl Daily {
    /// The lines `desk sweep` prints (and the function logs).
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.files > 0 {
            out.push(format!("Deleted {} document file(s) whose claim is gone.", self.files));
        }
        if self.uploads > 0 {
            let hours = super::shared_uploads::INCOMING_HOURS;
            out.push(format!("Deleted {} file(s) uploaded at the desk for the members' repository but not added within {hours} hours.", self.uploads));
        }
        match &self.swept {
            Some(s) => out.push(format!("Swept: {}.", swept_summary(s))),
            None => out.push("Nothing to sweep.".into()),
        }
        for (id, step) in &self.rounds {
            out.push(format!("Invitations of {id}: {} of {} sent.", step.progress.sent, step.progress.total));
        }
        out
    }
}

impl<S: Store> Forms<S> {
    /// The whole daily job, in this order: the files first (they need their
    /// claim's absence, which the store's sweep does not change), the store's
    /// sweep, then the rounds due. Stops at the first failure: the next run
    /// takes it again (each part is safe to repeat).
    pub async fn daily(&self, site: &SiteConfig) -> Result<Daily, DailyError> {
        let files = self.sweep_files().await?;
        let uploads = self.sweep_incoming_shared().await?;
        let swept = self.sweep().await?;
        let rounds = self.send_due_rounds(site).await?;
        Ok(Daily { files, uploads, swept, rounds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::invitations::Progress;

    #[test]
    fn the_lines_say_counts_in_the_order_of_the_job() {
        let mut d = Daily::default();
        assert_eq!(d.lines(), vec!["Nothing to sweep.".to_string()]);
        d.files = 2;
        d.swept = Some(Swept { history_lines: 3, ..Swept::default() });
        d.rounds
            .push(("e1".into(), Step { sequence: 1, kind: None, queued_now: 0, sent_now: 4, progress: Progress { sent: 4, total: 5, ..Progress::default() } }));
        let lines = d.lines();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "Deleted 2 document file(s) whose claim is gone.");
        assert!(lines[1].starts_with("Swept: ") && lines[1].contains("3 history line(s)"), "{}", lines[1]);
        assert_eq!(lines[2], "Invitations of e1: 4 of 5 sent.");
    }
}
