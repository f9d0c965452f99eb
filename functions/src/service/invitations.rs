//! Invitations to meetings, free of HTTP: a round (invitation, update or
//! cancellation, as `decide::invitation::owed` says per person) queued once
//! per (person, meeting, sequence), then sent in steps of `invitations.batch`
//! at `invitations.per_second`, resumable; answers against capacity; the
//! one-click unsubscribe; a member's invitations.
//!
//! A send is marked "sending" before its email goes and "sent" after, each
//! conditionally, so two runners never send one item. The email's id is the
//! item's key: a runner that crashed between the two marks leaves the item
//! to be taken again after `store::invitations::SENDING_LEASE_SECS` and sent
//! with the same id, which the preview's outbox keeps once. SES has no
//! idempotency key: in AWS each such crash may deliver that one message twice.

use super::{Forms, messages};
use crate::mail::{Attachment, Email, MailError};
use crate::records::{Contact, ContactStatus};
use crate::routes::Route;
use crate::store::invitations::{Answered, InvitationLink, InvitationSend, Progress, SendState, takeable};
use crate::store::{Store, StoreError, person_key};
use crate::token;
use ccg_forms::decide::OpenMeetings;
use ccg_forms::decide::invitation::{self, Answer, LastSent, Said, SendKind};
use ccg_model::words::{day_span, long_date};
use ccg_model::{Event, SiteConfig, When};
use serde::Serialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("no meeting with id {0}")]
    UnknownMeeting(String),
    #[error("the link is not one we sent, or no longer works")]
    BadLink,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// One step of a round: how many emails it sent, and where the round stands.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub sequence: u32,
    /// What the round sends (`None`: nothing is owed to anyone).
    pub kind: Option<SendKind>,
    pub queued_now: u32,
    pub sent_now: u32,
    pub progress: Progress,
}

/// Sends in flight at once, at most (within a second's share of `per_second`).
const MOST_AT_ONCE: u32 = 16;

/// Runs the futures together; their outputs in order (the crate has no `futures`).
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (f, o) in futures.iter_mut().zip(outputs.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *o = Some(v),
                    std::task::Poll::Pending => waiting = true,
                }
            }
        }
        if waiting { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// What an email tells of a meeting's date, in words.
pub fn when_words(e: &Event) -> String {
    match &e.when {
        When::AllDay { first, last, .. } => day_span(*first, *last),
        When::Timed { start, end, tz_name, .. } => {
            let day = long_date(start.date());
            if start.date() == end.date() {
                format!("{day}, {}–{} ({tz_name})", start.strftime("%H:%M"), end.strftime("%H:%M"))
            } else {
                format!("{day} {} – {} {} ({tz_name})", start.strftime("%H:%M"), long_date(end.date()), end.strftime("%H:%M"))
            }
        }
    }
}

pub fn said(e: &Event) -> Said {
    Said { when: when_words(e), place: ccg_calendar::text::location_text(e), cancelled: e.is_cancelled() }
}

/// The stable id of one send's email: the outbox keeps one message per id.
pub fn email_id(s: &InvitationSend) -> String {
    format!("invitation/{}/{}/{}", s.event_id, s.sequence, person_key(&s.email_key))
}

/// Why a contact is invited now (`None`: not invited), by `invitations.to_confirmed_contacts`.
fn why(c: &Contact, site: &SiteConfig) -> Option<&'static str> {
    match c.status {
        ContactStatus::Approved => Some("representative"),
        ContactStatus::Confirmed if site.invitations.to_confirmed_contacts => Some("contact"),
        _ => None,
    }
}

impl<S: Store> Forms<S> {
    pub(super) fn meeting(&self, event_id: &str) -> Result<Event, InviteError> {
        self.catalogue().event(event_id).cloned().ok_or_else(|| InviteError::UnknownMeeting(event_id.to_string()))
    }

    /// Queues what the round of the meeting's current sequence owes: to each
    /// person invited now (approved representatives, and confirmed contacts when the
    /// setting says so) and each one sent anything before, minus the unsubscribed.
    pub async fn queue_round(&self, site: &SiteConfig, event_id: &str) -> Result<(u32, Option<SendKind>), InviteError> {
        let e = self.meeting(event_id)?;
        let (_, now) = self.now();
        let contacts = self.store.list_contacts().await?;
        let unsubscribed: HashSet<String> = self.store.list_unsubscribed().await?.into_iter().collect();
        let sends = self.store.list_sends(event_id).await?;
        let mut last: HashMap<&str, &InvitationSend> = HashMap::new();
        for s in &sends {
            if last.get(s.email_key.as_str()).is_none_or(|l| l.sequence < s.sequence) {
                last.insert(&s.email_key, s);
            }
        }
        let now_said = said(&e);
        let mut queue = Vec::new();
        let mut kind = None;
        for c in &contacts {
            let key = c.details.email_key.as_str();
            if unsubscribed.contains(key) {
                continue;
            }
            let before = last.get(key).copied();
            let why = match (why(c, site), before) {
                (Some(w), _) => w,
                (None, Some(b)) => {
                    if b.why == "representative" {
                        "representative"
                    } else {
                        "contact"
                    }
                }
                (None, None) => continue,
            };
            let owed = invitation::owed(before.map(|b| LastSent { sequence: b.sequence, kind: b.kind }).as_ref(), e.sequence, e.is_cancelled());
            let Some(k) = owed else { continue };
            kind = kind.or(Some(k));
            queue.push(InvitationSend {
                event_id: e.id.clone(),
                sequence: e.sequence,
                email_key: key.to_string(),
                kind: k,
                state: SendState::Queued,
                why: why.to_string(),
                said: now_said.clone(),
                before: before.map(|b| b.said.clone()),
                queued_at: now,
                sending_at: None,
                sent_at: None,
            });
        }
        let kind = kind.or_else(|| sends.iter().filter(|s| s.sequence == e.sequence).map(|s| s.kind).next());
        Ok((self.store.queue_sends(queue).await?, kind))
    }

    /// One step: queues what is owed, then sends up to `limit` queued emails
    /// (`invitations.batch` from the desk), paced at `invitations.per_second`.
    pub async fn invite_step(&self, site: &SiteConfig, event_id: &str, limit: u32) -> Result<Step, InviteError> {
        let e = self.meeting(event_id)?;
        let (queued_now, kind) = self.queue_round(site, event_id).await?;
        let (_, now) = self.now();
        let todo: Vec<InvitationSend> =
            self.store.list_sends(event_id).await?.into_iter().filter(|s| s.sequence == e.sequence && takeable(s, now)).take(limit as usize).collect();
        let contacts: HashMap<String, Contact> = self.store.list_contacts().await?.into_iter().map(|c| (c.details.email_key.clone(), c)).collect();
        // Paced at `per_second`: each second's share goes together, then waits out the second.
        let per_second = site.invitations.per_second.max(1);
        let mut sent_now = 0;
        for group in todo.chunks(per_second.min(MOST_AT_ONCE) as usize) {
            let started = std::time::Instant::now();
            let results = join_all(group.iter().map(|s| self.send_one(site, &e, s, contacts.get(&s.email_key))).collect()).await;
            for r in results {
                sent_now += u32::from(r?);
            }
            let share = Duration::from_secs_f64(group.len() as f64 / f64::from(per_second));
            tokio::time::sleep(share.saturating_sub(started.elapsed())).await;
        }
        let progress = Progress::of(&self.store.list_sends(event_id).await?, e.sequence);
        Ok(Step { sequence: e.sequence, kind, queued_now, sent_now, progress })
    }

    /// One send: taken (marked "sending"), emailed, marked "sent"; false when
    /// another runner has it or its person is no longer a contact.
    async fn send_one(&self, site: &SiteConfig, e: &Event, s: &InvitationSend, c: Option<&Contact>) -> Result<bool, InviteError> {
        let Some(c) = c else { return Ok(false) };
        if !self.store.mark_sending(&e.id, s.sequence, &s.email_key, self.now().1).await? {
            return Ok(false);
        }
        let mail = self.send_email(site, e, s, c).await?;
        self.send_mail(&mail).await?;
        self.store.mark_sent(&e.id, s.sequence, &s.email_key, self.now().1).await?;
        Ok(true)
    }

    /// A whole round, step after step, until nothing is left; `each` hears of every step.
    pub async fn invite_all(&self, site: &SiteConfig, event_id: &str, mut each: impl FnMut(&Step)) -> Result<Step, InviteError> {
        loop {
            let step = self.invite_step(site, event_id, site.invitations.batch).await?;
            each(&step);
            if step.sent_now == 0 || step.progress.left() == 0 {
                return Ok(step);
            }
        }
    }

    /// The daily job's part: every meeting announced on or before today
    /// whose round has something owed, when `invitations.send_on_announced` is on.
    pub async fn send_due_rounds(&self, site: &SiteConfig) -> Result<Vec<(String, Step)>, InviteError> {
        if !site.invitations.send_on_announced {
            return Ok(Vec::new());
        }
        let today = self.today();
        let cat = self.catalogue();
        let due: Vec<String> =
            cat.events.iter().filter(|e| !e.draft && e.announced.is_some_and(|a| a <= today) && e.when.start_date() >= today).map(|e| e.id.clone()).collect();
        let mut done = Vec::new();
        for id in due {
            done.push((id.clone(), self.invite_all(site, &id, |_| {}).await?));
        }
        Ok(done)
    }

    /// A new link (answer: for `event`; unsubscribe: none), its secret's hash kept.
    async fn new_link(&self, email_key: &str, event: Option<&str>) -> Result<String, StoreError> {
        let (id, secret) = (token::new_id("inv"), token::new_secret());
        let link = InvitationLink { id: id.clone(), hash: token::hash_secret(&secret), email_key: email_key.into(), event_id: event.map(Into::into) };
        self.store.put_invitation_link(link).await?;
        Ok(token::token(&id, &secret))
    }

    fn route_url(&self, route: Route, token: &str) -> String {
        route.url(&self.options.public_url, &self.options.api_base, Some(token))
    }

    /// What the emails about a meeting say of it.
    fn meeting_data(&self, site: &SiteConfig, e: &Event) -> serde_json::Value {
        let open = OpenMeetings::on(&self.catalogue(), self.options.accept_drafts, self.today()).takes_claims(&e.id);
        let said = said(e);
        json!({
            "title": e.title, "when": said.when, "place": said.place,
            "page": format!("{}/calendar/{}/", site.base_url, e.id),
            "travel": open.then(|| self.page("/financial-support/")),
        })
    }

    async fn send_email(&self, site: &SiteConfig, e: &Event, s: &InvitationSend, c: &Contact) -> Result<Email, StoreError> {
        let answer = self.new_link(&s.email_key, Some(&e.id)).await?;
        let unsubscribe = self.route_url(Route::Unsubscribe, &self.new_link(&s.email_key, None).await?);
        let mut data = self.meeting_data(site, e);
        let changes = s.before.as_ref().map(|b| invitation::changes(b, &s.said)).unwrap_or_default();
        let more = json!({
            "name": c.details.name, "why": s.why, "city": c.details.city, "unsubscribe": unsubscribe,
            "attend": format!("{}&answer=attend", self.route_url(Route::InvitationAnswer, &answer)),
            "decline": format!("{}&answer=decline", self.route_url(Route::InvitationAnswer, &answer)),
            "changes": changes, "before": s.before,
        });
        for (k, v) in more.as_object().into_iter().flatten() {
            data[k] = v.clone();
        }
        let mut mail = messages::meeting(self, &c.details.email, s.kind.as_str(), data);
        let method = if s.kind == SendKind::Cancellation { ccg_calendar::Method::Cancel } else { ccg_calendar::Method::Request };
        let organizer = site.contact.email.clone();
        let ics = ccg_calendar::invitation(site, &site.base_url, e, method, (&organizer, &site.contact.name), (&c.details.email, &c.details.name));
        mail.attachments.push(Attachment { filename: "invite.ics".into(), content_type: method.content_type(), body: ics.into_bytes() });
        mail.headers.push(("List-Unsubscribe".into(), format!("<{unsubscribe}>")));
        mail.headers.push(("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()));
        mail.id = Some(email_id(s));
        Ok(mail)
    }

    /// A person's answer to a meeting (from a link or the members' area); a
    /// person it moves up from the waiting list is emailed.
    pub async fn answer_invitation(&self, site: &SiteConfig, event_id: &str, email_key: &str, answer: Answer) -> Result<Answered, InviteError> {
        let e = self.meeting(event_id)?;
        let done = self.store.answer_invitation(event_id, email_key, e.capacity, answer, self.now().1).await?;
        if let Some(p) = &done.promoted
            && let Some(c) = self.store.get_contact(p).await?
        {
            let token = self.new_link(p, Some(event_id)).await?;
            let mut data = self.meeting_data(site, &e);
            data["name"] = json!(c.details.name);
            data["decline"] = json!(format!("{}&answer=decline", self.route_url(Route::InvitationAnswer, &token)));
            self.send_mail(&messages::meeting(self, &c.details.email, "invitation-place", data)).await?;
        }
        Ok(done)
    }

    /// Whose answer link this is, for which meeting; changes nothing (the page a link opens).
    pub async fn answer_link(&self, link_token: &str) -> Result<(String, Event), InviteError> {
        let link = self.invitation_link(link_token).await?;
        let event_id = link.event_id.ok_or(InviteError::BadLink)?;
        Ok((link.email_key, self.meeting(&event_id)?))
    }

    async fn invitation_link(&self, link_token: &str) -> Result<InvitationLink, InviteError> {
        let (id, hash) = token::parse_invitation_token(link_token).ok_or(InviteError::BadLink)?;
        match self.store.get_invitation_link(&id).await? {
            Some(l) if l.hash == hash => Ok(l),
            _ => Err(InviteError::BadLink),
        }
    }

    /// Records the answer a link carries.
    pub async fn answer_by_link(&self, site: &SiteConfig, link_token: &str, answer: Answer) -> Result<(Event, Answered), InviteError> {
        let (email_key, e) = self.answer_link(link_token).await?;
        let done = self.answer_invitation(site, &e.id, &email_key, answer).await?;
        Ok((e, done))
    }

    /// Whether an unsubscribe link works; changes nothing.
    pub async fn unsubscribe_link_works(&self, link_token: &str) -> Result<bool, InviteError> {
        match self.invitation_link(link_token).await {
            Ok(_) => Ok(true),
            Err(InviteError::BadLink) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// No more invitations for the link's person (any of their links works: each is theirs).
    pub async fn unsubscribe_by_link(&self, link_token: &str) -> Result<(), InviteError> {
        let link = self.invitation_link(link_token).await?;
        self.store.set_unsubscribed(&link.email_key, true).await?;
        Ok(())
    }
}
