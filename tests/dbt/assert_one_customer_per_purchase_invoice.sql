-- One invoice, one buyer: int_purchase_invoices takes max(customer_id) per invoice, which would
-- silently merge two customers sharing an invoice number. Fails listing any such invoice.
select
    invoice_no,
    count(distinct coalesce(customer_id, '(guest)')) as customers_on_invoice
from {{ ref('int_purchase_lines') }}
group by invoice_no
having count(distinct coalesce(customer_id, '(guest)')) > 1
