//! The claims' references (`CCG-2027-0042`, `decide::reference`). A number is
//! taken with one atomic UpdateItem ADD on the year's REF#<year> counter
//! before the confirmation's transaction, which then puts REF#<reference>
//! only if it is new: two confirmations can never share a reference, even
//! if the counter were set back by hand. A confirmation that is refused or
//! fails after taking its number leaves a gap in the year's numbers; a number
//! is never given twice. The items name no one and stay after the claim goes.

use super::*;

impl DynamoStore {
    /// The next reference number of `year`.
    pub(super) async fn next_number(&self, year: i16) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(number_pk(year)))
            .update_expression("ADD #last :one")
            .set_expression_attribute_names(Some(names(&[("#last", "last")])))
            .set_expression_attribute_values(Some(values(vec![(":one", n(1))])))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(sdk_err)?;
        get_n(&out.attributes.unwrap_or_default(), "last")
    }

    /// The REF#<reference> item of the confirmation's transaction: new, naming its claim.
    pub(super) fn reference_item(&self, c: &Claim) -> Result<TransactWriteItem, StoreError> {
        let reference = c.reference.as_deref().ok_or_else(|| StoreError::Failed("a claim to count has no reference".into()))?;
        self.put_new(HashMap::from([("pk".into(), s(reference_pk(reference))), ("claim_id".into(), s(&c.id))]))
    }

    /// The claim with `reference`, if any.
    pub(super) async fn claim_of_reference(&self, reference: &str) -> Result<Option<Claim>, StoreError> {
        let Some((year, number)) = decide::parse_reference(reference) else { return Ok(None) };
        let Some(marker) = self.get(reference_pk(&decide::reference(year, number))).await? else { return Ok(None) };
        self.get_claim(&get_s(&marker, "claim_id")?).await
    }
}
