//! Invitations to meetings, as items:
//!
//! ```text
//!   INVSEND#<event>#<sequence>#<email key>  one send (`store::invitations::InvitationSend`);
//!                                 `about` INVSEND#<event>, `rank` <sequence, 6 digits>#<email key>
//!   INVANS#<event>#<email key>    a person's standing; `about` INVANS#<event>, `rank` the email key
//!   INVTALLY#<event>              the meeting's `tally` (going, waiting in order, declined) and `version`
//!   INVLINK#<id>                  an emailed answer or unsubscribe link: the hash of its secret, whose
//!   UNSUB#<email key>             unsubscribed from invitations; `about` UNSUB, `rank` the email key
//! ```
//!
//! A send is created only if absent (a TransactWriteItems of up to 100
//! `attribute_not_exists(pk)` puts; a chunk cancelled on some is sent again
//! without them), so queueing twice writes once. It moves queued -> sending
//! -> sent by conditional updates: of two runners one takes it. A runner that
//! crashed after "sending" leaves it to be taken again after the lease
//! (`invitations::SENDING_LEASE_SECS`), re-sent with the same `Email.id`: the
//! preview's outbox keeps one message per id, but SES has no idempotency
//! key, so in AWS each such crash may deliver that one message twice.
//! An answer is one TransactWriteItems: the tally, on its `version` as read,
//! the answer, and the standing of the person a withdrawal moves up.

use super::*;
use crate::store::InvitationStore;
use crate::store::invitations::{Answered, InvitationAnswer, InvitationLink, InvitationSend, SENDING_LEASE_SECS, SendState};
use ccg_forms::decide::invitation::{self, Answer, Standing, Tally};
use serde::Deserialize;
use serde::de::DeserializeOwned;

fn send_pk(event_id: &str, sequence: u32, email_key: &str) -> String {
    format!("INVSEND#{event_id}#{sequence}#{email_key}")
}

fn answer_pk(event_id: &str, email_key: &str) -> String {
    format!("INVANS#{event_id}#{email_key}")
}

fn tally_pk(event_id: &str) -> String {
    format!("INVTALLY#{event_id}")
}

fn read<T: DeserializeOwned>(i: &Item, what: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(i.clone()).map_err(|_| StoreError::Failed(format!("a stored {what} does not read")))
}

fn send_item(s: &InvitationSend) -> Item {
    let mut item = to_item(send_pk(&s.event_id, s.sequence, &s.email_key), s);
    item.insert(index::ABOUT.hash.into(), self::s(format!("INVSEND#{}", s.event_id)));
    item.insert(index::ABOUT.range.into(), self::s(format!("{:06}#{}", s.sequence, s.email_key)));
    item
}

fn answer_item(event_id: &str, email_key: &str, standing: Standing, at: i64) -> Item {
    let a = InvitationAnswer { event_id: event_id.into(), email_key: email_key.into(), standing, at };
    let mut item = to_item(answer_pk(event_id, email_key), &a);
    item.insert(index::ABOUT.hash.into(), s(format!("INVANS#{event_id}")));
    item.insert(index::ABOUT.range.into(), s(email_key));
    item
}

#[derive(Deserialize)]
struct TallyItem {
    tally: Tally,
    version: u64,
}

impl DynamoStore {
    async fn tally_of(&self, event_id: &str) -> Result<(Tally, u64), StoreError> {
        match self.get(tally_pk(event_id)).await? {
            Some(i) => read::<TallyItem>(&i, "meeting's tally").map(|t| (t.tally, t.version)),
            None => Ok((Tally::default(), 0)),
        }
    }

    /// Moves a send to `to` if `condition` holds; false when it does not.
    async fn move_send(&self, pk: String, set: &str, condition: &str, vals: Vec<(&str, AttributeValue)>) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .update_expression(set)
            .condition_expression(condition)
            // DynamoDB refuses a name the expressions do not use.
            .set_expression_attribute_names(Some(names(
                &[("#state", "state"), ("#sending_at", "sending_at"), ("#sent_at", "sent_at")]
                    .into_iter()
                    .filter(|(k, _)| set.contains(k) || condition.contains(k))
                    .collect::<Vec<_>>(),
            )))
            .set_expression_attribute_values(Some(values(vals)))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(false),
            Err(e) => Err(sdk_err(e)),
        }
    }

    /// Deletes the invitation records of the addresses `gone` says (the
    /// desk's erasure of one, and its sweep of those who left through a link,
    /// which may not Scan); their places in the meetings' tallies go too. How many addresses had some.
    pub(super) async fn erase_invitations(&self, gone: impl Fn(&str) -> bool) -> Result<usize, StoreError> {
        let mut people = std::collections::HashSet::new();
        for item in self.scan("INVANS#").await? {
            let a: InvitationAnswer = read(&item, "invitation answer")?;
            if !gone(&a.email_key) {
                continue;
            }
            people.insert(a.email_key.clone());
            let email_key = a.email_key.as_str();
            let mut attempts = Attempts(0);
            loop {
                let (t, version) = self.tally_of(&a.event_id).await?;
                let t = invitation::forget(&t, email_key, a.standing);
                let items = vec![self.tally_put(&a.event_id, &t, version)?, delete_tx(&self.table, answer_pk(&a.event_id, email_key))?];
                match self.transact(items).await? {
                    Sent::Done => break,
                    _ => attempts.again("a meeting's tally").await?,
                }
            }
        }
        for prefix in ["INVSEND#", "INVLINK#", "UNSUB#"] {
            for item in self.scan(prefix).await? {
                if let Some(key) = get_opt_s(&item, "email_key").filter(|k| gone(k)) {
                    self.client.delete_item().table_name(&self.table).key("pk", s(get_s(&item, "pk")?)).send().await.map_err(sdk_err)?;
                    people.insert(key);
                }
            }
        }
        Ok(people.len())
    }

    fn tally_put(&self, event_id: &str, t: &Tally, version: u64) -> Result<TransactWriteItem, StoreError> {
        let mut item = values(vec![("pk", s(tally_pk(event_id))), ("version", n(version + 1))]);
        item.insert("tally".into(), serde_dynamo::to_attribute_value(t).map_err(|e| StoreError::Failed(e.to_string()))?);
        if version == 0 {
            self.put_new(item)
        } else {
            self.put(item, Some(("#version = :v", names(&[("#version", "version")]), values(vec![(":v", n(version))]))))
        }
    }
}

fn delete_tx(table: &str, pk: String) -> Result<TransactWriteItem, StoreError> {
    Ok(TransactWriteItem::builder().delete(Delete::builder().table_name(table).key("pk", s(pk)).build().map_err(build_err)?).build())
}

impl InvitationStore for DynamoStore {
    async fn list_sends(&self, event_id: &str) -> Result<Vec<InvitationSend>, StoreError> {
        let items = self.query_all(index::ABOUT, &format!("INVSEND#{event_id}")).await?;
        items.iter().map(|i| read(i, "invitation send")).collect()
    }

    async fn get_send(&self, event_id: &str, sequence: u32, email_key: &str) -> Result<Option<InvitationSend>, StoreError> {
        self.get(send_pk(event_id, sequence, email_key)).await?.map(|i| read(&i, "invitation send")).transpose()
    }

    async fn queue_sends(&self, sends: Vec<InvitationSend>) -> Result<u32, StoreError> {
        let mut new = 0;
        for chunk in sends.chunks(100) {
            let mut left: Vec<&InvitationSend> = chunk.iter().collect();
            let mut attempts = Attempts(0);
            while !left.is_empty() {
                let items = left.iter().map(|s| self.put_new(send_item(s))).collect::<Result<Vec<_>, _>>()?;
                match self.transact(items).await? {
                    Sent::Done => {
                        new += u32::try_from(left.len()).unwrap_or(u32::MAX);
                        break;
                    }
                    // The ones there already stay as they are; the rest go again.
                    Sent::Cancelled(r) if r.iter().any(|x| code(x) == "ConditionalCheckFailed") => {
                        left = left.into_iter().enumerate().filter(|(i, _)| !failed(&r, *i)).map(|(_, s)| s).collect();
                    }
                    Sent::Cancelled(r) if conflicted(&r) => attempts.again("the invitations").await?,
                    Sent::Cancelled(r) => return Err(busy(&r, "queueing invitations")),
                    Sent::InProgress => attempts.again("the invitations").await?,
                }
            }
        }
        Ok(new)
    }

    async fn mark_sending(&self, event_id: &str, sequence: u32, email_key: &str, now_secs: i64) -> Result<bool, StoreError> {
        self.move_send(
            send_pk(event_id, sequence, email_key),
            "SET #state = :sending, #sending_at = :now",
            "#state = :queued OR (#state = :sending AND (attribute_not_exists(#sending_at) OR #sending_at <= :stale))",
            vec![
                (":sending", s(SendState::Sending.as_str())),
                (":queued", s(SendState::Queued.as_str())),
                (":now", n(now_secs)),
                (":stale", n(now_secs - SENDING_LEASE_SECS)),
            ],
        )
        .await
    }

    async fn mark_sent(&self, event_id: &str, sequence: u32, email_key: &str, now_secs: i64) -> Result<bool, StoreError> {
        self.move_send(
            send_pk(event_id, sequence, email_key),
            "SET #state = :sent, #sent_at = :now",
            "#state = :sending",
            vec![(":sending", s(SendState::Sending.as_str())), (":sent", s(SendState::Sent.as_str())), (":now", n(now_secs))],
        )
        .await
    }

    async fn answer_invitation(&self, event_id: &str, email_key: &str, capacity: Option<u32>, answer: Answer, now_secs: i64) -> Result<Answered, StoreError> {
        let mut attempts = Attempts(0);
        loop {
            let (t, version) = self.tally_of(event_id).await?;
            let current = self.get_answer(event_id, email_key).await?.map(|a| a.standing);
            let d = invitation::answer(capacity, &t, email_key, current, answer);
            let done = Answered {
                standing: d.standing,
                position: d.tally.position(email_key),
                promoted: d.promoted.clone(),
                changed: d.changed,
                tally: d.tally.clone(),
            };
            if !d.changed {
                return Ok(done);
            }
            let mut items = vec![self.tally_put(event_id, &d.tally, version)?, self.put(answer_item(event_id, email_key, d.standing, now_secs), None)?];
            if let Some(p) = &d.promoted {
                items.push(self.put(answer_item(event_id, p, Standing::Going, now_secs), None)?);
            }
            match self.transact(items).await? {
                Sent::Done => return Ok(done),
                // The tally changed since it was read: read and decide again.
                Sent::Cancelled(r) if failed(&r, 0) || conflicted(&r) => {}
                Sent::Cancelled(r) => return Err(busy(&r, "an answer")),
                Sent::InProgress => {}
            }
            attempts.again("this meeting's answers").await?;
        }
    }

    async fn list_answers(&self, event_id: &str) -> Result<(Vec<InvitationAnswer>, Tally), StoreError> {
        let items = self.query_all(index::ABOUT, &format!("INVANS#{event_id}")).await?;
        let answers = items.iter().map(|i| read(i, "invitation answer")).collect::<Result<Vec<_>, _>>()?;
        Ok((answers, self.tally_of(event_id).await?.0))
    }

    async fn get_answer(&self, event_id: &str, email_key: &str) -> Result<Option<InvitationAnswer>, StoreError> {
        self.get(answer_pk(event_id, email_key)).await?.map(|i| read(&i, "invitation answer")).transpose()
    }

    async fn put_invitation_link(&self, link: InvitationLink) -> Result<(), StoreError> {
        let item = to_item(format!("INVLINK#{}", link.id), &link);
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_err)?;
        Ok(())
    }

    async fn get_invitation_link(&self, id: &str) -> Result<Option<InvitationLink>, StoreError> {
        self.get(format!("INVLINK#{id}")).await?.map(|i| read(&i, "invitation link")).transpose()
    }

    async fn set_unsubscribed(&self, email_key: &str, unsubscribed: bool) -> Result<(), StoreError> {
        let pk = format!("UNSUB#{email_key}");
        if unsubscribed {
            let item = values(vec![("pk", s(pk)), ("email_key", s(email_key)), (index::ABOUT.hash, s("UNSUB")), (index::ABOUT.range, s(email_key))]);
            self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_err)?;
        } else {
            self.client.delete_item().table_name(&self.table).key("pk", s(pk)).send().await.map_err(sdk_err)?;
        }
        Ok(())
    }

    async fn list_unsubscribed(&self) -> Result<Vec<String>, StoreError> {
        let items = self.query_all(index::ABOUT, "UNSUB").await?;
        items.iter().map(|i| get_s(i, "email_key")).collect()
    }
}
