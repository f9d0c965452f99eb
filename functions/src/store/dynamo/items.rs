//! Records as items and back: pending submissions, contacts, claims, audit lines, kept answers.

use super::*;

pub(super) fn usage_of(item: Option<&Item>) -> Result<YearUsage, StoreError> {
    match item {
        Some(i) if i.contains_key("trips") => Ok(YearUsage { trips: get_n(i, "trips")?, amount: Cents(get_n(i, "cents")?) }),
        _ => Ok(YearUsage::default()),
    }
}

pub(super) fn pending_item(p: &Pending) -> Item {
    HashMap::from([
        ("pk".into(), s(pending_pk(&p.id))),
        ("kind".into(), s(p.item.kind())),
        ("email_key".into(), s(p.item.email_key())),
        ("item".into(), s(p.item.to_json())),
        ("token_hashes".into(), AttributeValue::L(p.token_hashes.iter().map(s).collect())),
        ("created_at".into(), s(&p.created_at)),
        ("expires_at".into(), n(p.expires_at)),
        ("used".into(), AttributeValue::Bool(p.used)),
    ])
}

pub(super) fn item_pending(i: &Item) -> Result<Pending, StoreError> {
    let pk = get_s(i, "pk")?;
    let id = pk.strip_prefix("PENDING#").ok_or_else(|| StoreError::Failed("a pending record has a foreign key".into()))?;
    let token_hashes = get_opt_texts(i, "token_hashes")?.ok_or_else(|| StoreError::Failed("a stored item has no list `token_hashes`".into()))?;
    Ok(Pending {
        id: id.to_string(),
        item: PendingItem::from_json(&get_s(i, "item")?).map_err(StoreError::Failed)?,
        token_hashes,
        created_at: get_s(i, "created_at")?,
        expires_at: get_n(i, "expires_at")?,
        used: get_bool(i, "used")?,
    })
}

pub(super) fn contact_item(c: &Contact) -> Item {
    let d = &c.details;
    let mut item: Item = HashMap::from([
        ("pk".into(), s(contact_pk(&d.email_key))),
        ("email_key".into(), s(&d.email_key)),
        ("name".into(), s(&d.name)),
        ("email".into(), s(&d.email)),
        ("city".into(), s(&d.city)),
        ("country".into(), s(&d.country)),
        ("organisation".into(), s(&d.organisation)),
        ("position".into(), s(&d.position)),
        ("city_status".into(), s(&d.city_status)),
        ("status".into(), s(c.status.as_str())),
        ("created_at".into(), s(&c.created_at)),
        ("updated_at".into(), s(&c.updated_at)),
        ("version".into(), n(c.version)),
    ]);
    if let Some(p) = &d.project {
        item.insert("project".into(), s(p));
    }
    if let Some(k) = &c.city_key {
        item.insert("city_key".into(), s(k));
    }
    if let Some(end) = c.expires_at {
        item.insert("expires_at".into(), n(end));
    }
    item
}

pub(super) fn item_contact(i: &Item) -> Result<Contact, StoreError> {
    let status = get_s(i, "status")?;
    Ok(Contact {
        details: Registration {
            email_key: get_s(i, "email_key")?,
            name: get_s(i, "name")?,
            email: get_s(i, "email")?,
            city: get_s(i, "city")?,
            country: get_s(i, "country")?,
            organisation: get_s(i, "organisation")?,
            position: get_s(i, "position")?,
            city_status: get_s(i, "city_status")?,
            project: get_opt_s(i, "project"),
        },
        status: ContactStatus::parse(&status).ok_or_else(|| StoreError::Failed("a stored contact has an unknown status".into()))?,
        city_key: get_opt_s(i, "city_key"),
        created_at: get_s(i, "created_at")?,
        updated_at: get_s(i, "updated_at")?,
        version: get_n(i, "version")?,
        expires_at: get_opt_n(i, "expires_at")?,
    })
}

pub(super) fn claim_item(c: &Claim) -> Item {
    let mut item: Item = HashMap::from([
        ("pk".into(), s(claim_pk(&c.id))),
        ("id".into(), s(&c.id)),
        ("email_key".into(), s(&c.email_key)),
        ("city_key".into(), s(&c.city_key)),
        ("event_id".into(), s(&c.event_id)),
        ("year".into(), n(c.year)),
        ("name".into(), s(&c.name)),
        ("email".into(), s(&c.email)),
        ("city".into(), s(&c.city)),
        ("country".into(), s(&c.country)),
        ("travel_start".into(), s(c.travel_start.to_string())),
        ("travel_end".into(), s(c.travel_end.to_string())),
        ("amount_cents".into(), n(c.amount.0)),
        ("transport_cents".into(), n(c.transport.0)),
        ("accommodation_cents".into(), n(c.accommodation.0)),
        ("created_at".into(), s(&c.created_at)),
        ("confirmed_at".into(), s(&c.confirmed_at)),
        ("status".into(), s(c.status.as_str())),
        ("link_id".into(), s(&c.link_id)),
        ("link_hashes".into(), AttributeValue::L(c.link_hashes.iter().map(s).collect())),
    ]);
    if let Some(r) = &c.reason {
        item.insert("reason".into(), s(r));
    }
    if let Some(p) = c.paid {
        item.insert("paid_cents".into(), n(p.0));
    }
    if let Some(d) = c.paid_on {
        item.insert("paid_on".into(), s(d.to_string()));
    }
    item
}

/// The attributes of a CLAIM# item that change after its confirmation (by `transition_claim`).
pub(super) const CLAIM_DECISION: [&str; 4] = ["status", "reason", "paid_cents", "paid_on"];

/// A claim item written before claims had states (none in production) is
/// read as `counted`, with no link.
pub(super) fn item_claim(i: &Item) -> Result<Claim, StoreError> {
    let status = match get_opt_s(i, "status") {
        None => ClaimStatus::Counted,
        Some(st) => ClaimStatus::parse(&st).ok_or_else(|| StoreError::Failed("a stored claim has an unknown status".into()))?,
    };
    let paid_on = match get_opt_s(i, "paid_on") {
        None => None,
        Some(_) => Some(get_date(i, "paid_on")?),
    };
    Ok(Claim {
        id: get_s(i, "id")?,
        name: get_s(i, "name")?,
        email: get_s(i, "email")?,
        email_key: get_s(i, "email_key")?,
        city: get_s(i, "city")?,
        city_key: get_s(i, "city_key")?,
        country: get_s(i, "country")?,
        event_id: get_s(i, "event_id")?,
        year: get_n(i, "year")?,
        travel_start: get_date(i, "travel_start")?,
        travel_end: get_date(i, "travel_end")?,
        amount: Cents(get_n(i, "amount_cents")?),
        transport: Cents(get_n(i, "transport_cents")?),
        accommodation: Cents(get_n(i, "accommodation_cents")?),
        created_at: get_s(i, "created_at")?,
        confirmed_at: get_s(i, "confirmed_at")?,
        status,
        link_id: get_opt_s(i, "link_id").unwrap_or_default(),
        link_hashes: get_opt_texts(i, "link_hashes")?.unwrap_or_default(),
        reason: get_opt_s(i, "reason"),
        paid: get_opt_n(i, "paid_cents")?.map(Cents),
        paid_on,
    })
}

/// A random part in the key keeps two lines written in the same nanosecond apart.
pub(super) fn audit_item(a: &AuditEntry) -> Item {
    audit_item_at(a, audit_pk(a))
}

/// An audit line under a key chosen beforehand (the claim it describes keeps it).
pub(super) fn audit_item_at(a: &AuditEntry, pk: String) -> Item {
    HashMap::from([
        ("pk".into(), s(pk)),
        ("at".into(), s(&a.at)),
        ("actor".into(), s(&a.actor)),
        ("action".into(), s(&a.action)),
        ("subject".into(), s(&a.subject)),
        ("detail".into(), s(&a.detail)),
    ])
}

/// A CLAIM# item rewritten whole keeps what `Claim` does not carry: its end and its history's keys.
pub(super) fn kept_attributes(mut item: Item, read: &Item) -> Item {
    for k in ["expires_at", "audit_keys"] {
        if let Some(v) = read.get(k) {
            item.insert(k.into(), v.clone());
        }
    }
    item
}

pub(super) fn item_audit(i: &Item) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry { at: get_s(i, "at")?, actor: get_s(i, "actor")?, action: get_s(i, "action")?, subject: get_s(i, "subject")?, detail: get_s(i, "detail")? })
}

pub(super) fn audit_entry(now: &str, actor: &str, action: &str, subject: &str, detail: String) -> AuditEntry {
    AuditEntry { at: now.to_string(), actor: actor.into(), action: action.into(), subject: subject.into(), detail }
}

pub(super) fn item_kept(i: &Item) -> Result<Kept, StoreError> {
    let request_hash = get_s(i, "request_hash")?;
    let status: u16 = get_n(i, "status")?;
    if status == 0 {
        return Ok(Kept::Pending { request_hash });
    }
    let body = match i.get("body") {
        Some(AttributeValue::B(b)) => b.clone().into_inner(),
        _ => Vec::new(),
    };
    Ok(Kept::Done(StoredAnswer { request_hash, status, content_type: get_s(i, "content_type")?, location: get_opt_s(i, "location"), body }))
}
