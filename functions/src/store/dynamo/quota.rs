//! The emails sent to an address per window (`decide::quota`): one counter
//! item per address and window (`MAILQ#<quota key>#h<hour>`, `…#d<day>`),
//! both raised in one transaction only while under their limits, gone by TTL
//! when their window ends. A window's number is in its key, so an ended
//! window that TTL has not deleted yet is never counted again.

use super::*;
use crate::store::MailQuotaStore;
use ccg_forms::decide::quota::{self, MailLimits};

fn counter(table: &str, pk: String, max: u32, ends: i64) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .update_expression("SET #sent = if_not_exists(#sent, :zero) + :one, #expires_at = :ends")
        .condition_expression("attribute_not_exists(#sent) OR #sent < :max")
        .set_expression_attribute_names(Some(names(&[("#sent", "sent"), ("#expires_at", "expires_at")])))
        .set_expression_attribute_values(Some(values(vec![(":zero", n(0)), (":one", n(1)), (":ends", n(ends)), (":max", n(max))])))
        .build()
        .map_err(build_err)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

impl MailQuotaStore for DynamoStore {
    async fn take_mail(&self, quota_key: &str, limits: MailLimits, now_secs: i64) -> Result<bool, StoreError> {
        // The conditions say `may_send` on what is stored; a zero limit, which
        // a missing counter would pass, is decided here.
        if !decide::may_send(0, 0, limits) {
            return Ok(false);
        }
        let w = quota::windows(now_secs);
        let items = vec![
            counter(&self.table, format!("MAILQ#{quota_key}#h{}", w.hour), limits.per_hour, w.hour_ends)?,
            counter(&self.table, format!("MAILQ#{quota_key}#d{}", w.day), limits.per_day, w.day_ends)?,
        ];
        let mut attempts = Attempts(0);
        loop {
            match self.transact(items.clone()).await? {
                Sent::Done => return Ok(true),
                Sent::Cancelled(r) if failed(&r, 0) || failed(&r, 1) => return Ok(false),
                Sent::Cancelled(r) if conflicted(&r) => {}
                Sent::Cancelled(r) => return Err(busy(&r, "the count of emails")),
                Sent::InProgress => {}
            }
            attempts.again("the count of emails").await?;
        }
    }
}
