-- Undefined EVM ratios are NULL, never 0 (pmo-domain 1.2).
select
    project_code,
    ac,
    pv,
    cpi,
    spi
from {{ ref('mart_evm_project') }}
where
    (coalesce(ac, 0) = 0 and cpi is not null)
    or (coalesce(pv, 0) = 0 and spi is not null)
    or (cpi is null and eac_typical is not null)
