-- Redshift physical design: Fifty rows: replicate to every node.
{{ config(dist='all', sort=['category_code']) }}
-- Merchandise categories, named as in the current product master.
select
    category_code,
    max(category_name) as category_name
from {{ ref('dim_product') }}
where is_current
group by category_code
