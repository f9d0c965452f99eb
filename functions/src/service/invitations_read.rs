//! What the desk and the members' area read of invitations: who was
//! invited to a meeting and how they answered (the desk's list and CSV), a
//! person's invitations with their answers; and the desk's step of a round
//! with its history line.

use super::Forms;
use super::invitations::{InviteError, Step, said};
use crate::records::Contact;
use crate::store::invitations::{InvitationSend, Progress};
use crate::store::{Store, person_key};
use ccg_forms::decide::invitation::{self, SendKind, Standing};
use ccg_model::SiteConfig;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A person's invitation to one meeting, for the members' area.
#[derive(Debug, Clone, Serialize)]
pub struct MemberInvitation {
    pub event_id: String,
    pub title: String,
    pub when: String,
    pub place: String,
    pub page: String,
    pub cancelled: bool,
    /// `going`, `waiting`, `declined`, or none yet.
    pub standing: Option<&'static str>,
    pub position: Option<u32>,
}

/// A row of the desk's list and CSV: who was invited, what they were last sent, their answer.
#[derive(Debug, Clone, Serialize)]
pub struct Invitee {
    pub email_key: String,
    pub person_key: String,
    pub name: String,
    pub email: String,
    pub city: String,
    pub organisation: String,
    pub last_sent: Option<&'static str>,
    pub sequence: u32,
    pub state: &'static str,
    pub standing: Option<&'static str>,
    pub position: Option<u32>,
}

impl<S: Store> Forms<S> {
    /// A person's invitations (meetings they were sent anything about at any
    /// sequence up to the current one), with their answers, soonest first.
    pub async fn invitations_of(&self, site: &SiteConfig, email_key: &str) -> Result<Vec<MemberInvitation>, InviteError> {
        let cat = self.catalogue();
        let mut out = Vec::new();
        for e in cat.events.iter().filter(|e| !e.draft) {
            let mut invited = false;
            for seq in (0..=e.sequence).rev() {
                if self.store.get_send(&e.id, seq, email_key).await?.is_some() {
                    invited = true;
                    break;
                }
            }
            if !invited {
                continue;
            }
            let answer = self.store.get_answer(&e.id, email_key).await?;
            let position = match answer.as_ref().map(|a| a.standing) {
                Some(Standing::Waiting) => self.store.list_answers(&e.id).await?.1.position(email_key),
                _ => None,
            };
            let s = said(e);
            out.push(MemberInvitation {
                event_id: e.id.clone(),
                title: e.title.clone(),
                when: s.when,
                place: s.place,
                page: format!("{}/calendar/{}/", site.base_url, e.id),
                cancelled: e.is_cancelled(),
                standing: answer.map(|a| a.standing.as_str()),
                position,
            });
        }
        Ok(out)
    }

    /// Who was invited to a meeting, what they were last sent and how they
    /// answered (the desk's list and CSV), with the round's progress and the tally.
    pub async fn invitees(&self, event_id: &str) -> Result<(Vec<Invitee>, Progress, invitation::Tally), InviteError> {
        let e = self.meeting(event_id)?;
        let sends = self.store.list_sends(event_id).await?;
        let (answers, tally) = self.store.list_answers(event_id).await?;
        let answers: HashMap<&str, Standing> = answers.iter().map(|a| (a.email_key.as_str(), a.standing)).collect();
        let contacts: HashMap<String, Contact> = self.store.list_contacts().await?.into_iter().map(|c| (c.details.email_key.clone(), c)).collect();
        let mut last: BTreeMap<&str, &InvitationSend> = BTreeMap::new();
        for s in &sends {
            if last.get(s.email_key.as_str()).is_none_or(|l| l.sequence < s.sequence) {
                last.insert(&s.email_key, s);
            }
        }
        let rows = last
            .into_iter()
            .map(|(key, s)| {
                let c = contacts.get(key);
                let standing = answers.get(key).copied();
                Invitee {
                    email_key: key.to_string(),
                    person_key: person_key(key),
                    name: c.map(|c| c.details.name.clone()).unwrap_or_default(),
                    email: c.map(|c| c.details.email.clone()).unwrap_or_default(),
                    city: c.map(|c| c.details.city.clone()).unwrap_or_default(),
                    organisation: c.map(|c| c.details.organisation.clone()).unwrap_or_default(),
                    last_sent: Some(s.kind.as_str()),
                    sequence: s.sequence,
                    state: s.state.as_str(),
                    standing: standing.map(Standing::as_str),
                    position: tally.position(key),
                }
            })
            .collect();
        Ok((rows, Progress::of(&sends, e.sequence), tally))
    }
}

impl<S: Store> Forms<S> {
    /// The desk's "Send" button and `desk invite`: one step of the round,
    /// with a history line saying who sent how many of what.
    pub async fn invite_from_desk(&self, site: &SiteConfig, event_id: &str, operator: &str, limit: u32) -> Result<Step, InviteError> {
        let step = self.invite_step(site, event_id, limit).await?;
        if step.sent_now > 0 {
            let audit = crate::records::AuditEntry {
                at: self.now().0,
                actor: operator.into(),
                action: "invite".into(),
                subject: format!("meeting:{event_id}"),
                detail: format!(
                    "{} {} sent (sequence {}); {} of {} sent, {} left",
                    step.sent_now,
                    step.kind.map_or("email", SendKind::as_str),
                    step.sequence,
                    step.progress.sent,
                    step.progress.total,
                    step.progress.left()
                ),
            };
            self.store.record_audit(audit).await?;
        }
        Ok(step)
    }

    /// The invitees of a meeting as CSV (for the logistics), with the history line that says who took it.
    pub async fn invitees_csv(&self, event_id: &str, operator: &str) -> Result<String, InviteError> {
        let (rows, _, _) = self.invitees(event_id).await?;
        let audit = crate::records::AuditEntry {
            at: self.now().0,
            actor: operator.into(),
            action: "export".into(),
            subject: "export:invitations".into(),
            detail: format!("invitations of {event_id}"),
        };
        self.store.record_audit(audit).await?;
        let mut out = String::new();
        crate::export::row(&mut out, &["name", "email", "city", "organisation", "last_sent", "sequence", "state", "answer", "waiting_position"]);
        for r in &rows {
            let seq = r.sequence.to_string();
            let pos = r.position.map(|p| p.to_string()).unwrap_or_default();
            crate::export::row(
                &mut out,
                &[&r.name, &r.email, &r.city, &r.organisation, r.last_sent.unwrap_or(""), &seq, r.state, r.standing.unwrap_or(""), &pos],
            );
        }
        Ok(out)
    }
}
