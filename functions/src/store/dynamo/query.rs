//! A page of a desk list from Query calls on an index (`index`): one
//! partition, or several merged by rank (a list of every state), each read in
//! rank order from the cursor on (a key condition on `rank`, so a page costs
//! the same wherever it is in the list). What else the question asks is a
//! FilterExpression, and the query's `admits` decides in the end, so a page
//! equals `lists::page_of`'s. A partition is read only as far as the page
//! needs: one more than a page at first, then, when a filter leaves items
//! out, four times more each call (up to `MOST_READ`, and DynamoDB's 1 MB).

use super::*;
use crate::store::lists::{self, ListPage, Order};
use std::collections::VecDeque;
use std::future::Future;
use std::task::Poll;

/// Items a Query reads at most in one call.
const MOST_READ: usize = 1000;

/// A FilterExpression's terms (all must hold), with their names and values.
#[derive(Default)]
pub(super) struct Filter {
    terms: Vec<String>,
    names: HashMap<String, String>,
    values: Item,
}

impl Filter {
    pub(super) fn name(&mut self, attr: &str) -> String {
        let k = format!("#f{}", self.names.len());
        self.names.insert(k.clone(), attr.into());
        k
    }

    pub(super) fn value(&mut self, v: AttributeValue) -> String {
        let k = format!(":f{}", self.values.len());
        self.values.insert(k.clone(), v);
        k
    }

    pub(super) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// A term written with `name` and `value`'s placeholders.
    pub(super) fn term(&mut self, term: String) {
        self.terms.push(term);
    }

    pub(super) fn eq(&mut self, attr: &str, v: AttributeValue) {
        let (n, v) = (self.name(attr), self.value(v));
        self.term(format!("{n} = {v}"));
    }

    pub(super) fn call(&mut self, function: &str, attr: &str, text: &str) {
        let (n, v) = (self.name(attr), self.value(s(text)));
        self.term(format!("{function}({n}, {v})"));
    }
}

/// One question to an index.
pub(super) struct Ask {
    pub(super) index: index::Index,
    /// The partitions (`index.hash` values) whose items the list merges.
    pub(super) parts: Vec<String>,
    pub(super) filter: Filter,
    /// Whether anything but the partition and the rank leaves items out
    /// (the filter, or `admits` alone): then each call reads more.
    pub(super) narrowed: bool,
    pub(super) order: Order,
    /// The ranks asked for besides the cursor's: at or after, and before.
    pub(super) from: Option<String>,
    pub(super) before: Option<String>,
}

/// How one partition is being read.
struct Stream<T> {
    part: String,
    start: Option<Item>,
    /// The rank the last call stopped at (what comes next is not before it); `None` before the first.
    seen: Option<String>,
    done: bool,
    ready: VecDeque<(String, T)>,
    limit: usize,
}

/// How a record of the list is read from its item and ranked, and which are in the page.
pub(super) struct Records<'a, T> {
    pub(super) read: fn(&Item) -> Result<T, StoreError>,
    pub(super) rank: fn(&T) -> String,
    pub(super) admits: &'a (dyn Fn(&T) -> bool + Sync),
}

/// `a` comes strictly before `b` in a list that runs in `order`.
fn before(order: Order, a: &str, b: &str) -> bool {
    if order == Order::Oldest { a < b } else { a > b }
}

/// One end of the ranks asked for.
#[derive(Clone)]
struct Bound {
    rank: String,
    /// The rank itself is not asked for.
    strict: bool,
}

/// The key condition on `rank` (`#r`), if any, with its values.
#[derive(Default)]
struct KeyRange {
    condition: Option<String>,
    values: Vec<(&'static str, String)>,
}

impl Ask {
    /// The key condition on `rank` after `cursor` and within `from`/`before`;
    /// `None` when no rank can be in it. `BETWEEN` takes both ends, so an
    /// end that is strict is left out by `admits` and the cursor, checked on every item anyway.
    fn range(&self, cursor: Option<&str>) -> Option<KeyRange> {
        let mut low = self.from.clone().map(|rank| Bound { rank, strict: false });
        let mut high = self.before.clone().map(|rank| Bound { rank, strict: true });
        // The tighter of two ends: the higher low one, the lower high one.
        let tighter = |old: Option<Bound>, new: Bound, low: bool| match old {
            Some(o) if o.rank == new.rank => Some(Bound { strict: o.strict || new.strict, ..o }),
            Some(o) if (o.rank > new.rank) == low => Some(o),
            _ => Some(new),
        };
        if let Some(c) = cursor {
            let at = Bound { rank: c.to_string(), strict: true };
            match self.order {
                Order::Oldest => low = tighter(low, at, true),
                Order::Newest => high = tighter(high, at, false),
            }
        }
        Some(match (low, high) {
            (Some(l), Some(h)) if l.rank > h.rank || (l.rank == h.rank && (l.strict || h.strict)) => return None,
            (Some(l), Some(h)) => KeyRange { condition: Some("#r BETWEEN :lo AND :hi".into()), values: vec![(":lo", l.rank), (":hi", h.rank)] },
            (Some(l), None) => KeyRange { condition: Some(format!("#r {} :lo", if l.strict { ">" } else { ">=" })), values: vec![(":lo", l.rank)] },
            (None, Some(h)) => KeyRange { condition: Some(format!("#r {} :hi", if h.strict { "<" } else { "<=" })), values: vec![(":hi", h.rank)] },
            (None, None) => KeyRange::default(),
        })
    }
}

impl DynamoStore {
    /// The page of `ask` after `cursor`: at most `limit` records, merged from its partitions by rank.
    pub(super) async fn page<T: Send>(&self, ask: &Ask, records: Records<'_, T>, cursor: Option<&str>, limit: usize) -> Result<ListPage<T>, StoreError> {
        if cursor.is_some_and(|c| !lists::is_cursor(c)) {
            return Err(StoreError::Failed("not a cursor of the desk's lists".into()));
        }
        let want = limit.max(1) + 1;
        let Some(range) = ask.range(cursor) else { return Ok(ListPage { items: Vec::new(), next: None }) };
        let mut streams: Vec<Stream<T>> = ask
            .parts
            .iter()
            .map(|p| Stream { part: p.clone(), start: None, seen: None, done: false, ready: VecDeque::new(), limit: want.min(MOST_READ) })
            .collect();
        let mut out = Vec::new();
        while out.len() < want {
            let best = (0..streams.len())
                .filter(|&i| !streams[i].ready.is_empty())
                .reduce(|a, b| if before(ask.order, &streams[b].ready[0].0, &streams[a].ready[0].0) { b } else { a });
            let best_rank = best.map(|i| streams[i].ready[0].0.clone());
            // A partition with nothing read ahead is read on, unless what it
            // holds further cannot come before the best record at hand.
            let stale: Vec<usize> = (0..streams.len())
                .filter(|&i| {
                    let st = &streams[i];
                    st.ready.is_empty() && !st.done && !matches!((&best_rank, &st.seen), (Some(b), Some(seen)) if before(ask.order, b, seen))
                })
                .collect();
            if !stale.is_empty() {
                let calls = stale.iter().map(|&i| self.query(ask, &range, streams[i].part.clone(), streams[i].start.clone(), streams[i].limit)).collect();
                for (i, answer) in stale.into_iter().zip(join_all(calls).await) {
                    let (items, last) = answer?;
                    let st = &mut streams[i];
                    for item in &items {
                        let t = (records.read)(item)?;
                        let rank = (records.rank)(&t);
                        if (records.admits)(&t) && lists::after(cursor, ask.order, &rank) {
                            st.ready.push_back((rank, t));
                        }
                    }
                    st.seen = last.as_ref().and_then(|k| get_opt_s(k, ask.index.range));
                    st.done = last.is_none();
                    st.start = last;
                    if ask.narrowed {
                        st.limit = (st.limit * 4).min(MOST_READ);
                    }
                }
                continue;
            }
            let Some(i) = best else { break };
            out.extend(streams[i].ready.pop_front());
        }
        Ok(lists::page_from(out, limit))
    }

    /// One Query call on a partition of `ask`'s index: its items, and where the next call starts (`None`: no more).
    async fn query(&self, ask: &Ask, range: &KeyRange, part: String, start: Option<Item>, limit: usize) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let mut nms = ask.filter.names.clone();
        let mut vals = ask.filter.values.clone();
        nms.insert("#h".into(), ask.index.hash.into());
        vals.insert(":h".into(), s(part));
        let key = match &range.condition {
            Some(r) => {
                nms.insert("#r".into(), ask.index.range.into());
                vals.extend(range.values.iter().map(|(k, v)| (k.to_string(), s(v))));
                format!("#h = :h AND {r}")
            }
            None => "#h = :h".into(),
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(ask.index.name)
            .key_condition_expression(key)
            .set_filter_expression((!ask.filter.terms.is_empty()).then(|| ask.filter.terms.join(" AND ")))
            .set_expression_attribute_names(Some(nms))
            .set_expression_attribute_values(Some(vals))
            .scan_index_forward(ask.order == Order::Oldest)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_err)?;
        Ok((out.items.unwrap_or_default(), out.last_evaluated_key.filter(|k| !k.is_empty())))
    }

    /// Every item of one partition of an index, in rank order (a short list: a year's cities).
    pub(super) async fn query_all(&self, index: index::Index, part: &str) -> Result<Vec<Item>, StoreError> {
        let ask = Ask { index, parts: Vec::new(), filter: Filter::default(), narrowed: false, order: Order::Oldest, from: None, before: None };
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let (more, last) = self.query(&ask, &KeyRange::default(), part.to_string(), start, MOST_READ).await?;
            items.extend(more);
            match last {
                Some(k) => start = Some(k),
                None => return Ok(items),
            }
        }
    }
}

/// Runs the futures together; their outputs in order (the crate has no `futures`).
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (f, o) in futures.iter_mut().zip(outputs.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
