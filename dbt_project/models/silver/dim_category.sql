-- Redshift physical design: Fifty rows: replicate to every node.
{{ config(dist='all', sort=['category_code']) }}
-- Merchandise categories: every category any product version has used (current or historical),
-- named as in its most recent product version.
select
    category_code,
    category_name
from (
    select
        category_code,
        category_name,
        row_number() over (partition by category_code order by effective_from desc, sku_id asc) as recency
    from {{ ref('dim_product') }}
) as named
where recency = 1
