"""The domain kernel several services share: contact identity and company-name keys, divisions,
folding, money, data scope, the holding limit, the conditional ownership request, and the
refusals domain code raises. Pure: no Flask, no MongoDB, no Kafka."""
