-- The allocation transaction of selfcare.orders.services.numbers_add as a plain pgbench script:
-- the ceiling the Django code is held to (bench/allocation.py runs both on the same server).
-- Statement for statement what the service sends, in the same lock order (customer, then
-- numbers with SKIP LOCKED), without the ORM, the savepoint around the application number,
-- the password encryption (placeholders of the same length) or the e-mail notice read after
-- commit. The registrar's two digests are computed here as the service computes them.
-- Variables: n (numbers per application), cfirst and clast (the customers to draw from).
-- pgbench reads :name as a variable even inside quotes, hence chr(58) for a colon.
\set cid random(:cfirst, :clast)
\set k random(1, 999999999999999999)
BEGIN;
SELECT c.numbers_added, c.addition_limit, c.status, c.contract_name AS name, c.postal_code AS postal,
       c.address, u.id AS uid, u.username, p.code AS plan_code, p.monthly_fee_per_number AS fee
  FROM accounts_customer c JOIN accounts_user u ON u.id = c.user_id JOIN accounts_plan p ON p.id = c.plan_id
 WHERE c.id = :cid FOR UPDATE OF c \gset
SELECT id FROM orders_application WHERE customer_id = :cid AND idempotency_key = 'pgbench-' || :k::text LIMIT 1;
SELECT array_agg(number) AS nums FROM (
    SELECT number FROM inventory_phonenumber WHERE status = 'free' AND available_from <= current_date
     ORDER BY available_from, number LIMIT :n FOR UPDATE SKIP LOCKED) s \gset
INSERT INTO orders_application (application_number, customer_id, count, monthly_fee_per_number, plan_code,
                                idempotency_key, placed_at)
VALUES ('P-' || :k::text, :cid, :n, :fee, :plan_code, 'pgbench-' || :k::text, now()) RETURNING id AS app_id \gset
UPDATE inventory_phonenumber SET status = 'assigned' WHERE number = ANY (:nums::varchar[]) AND status = 'free';
INSERT INTO orders_issuedline (application_id, customer_id, number, issued_at, service_pin_encrypted,
                               sip_password_encrypted, sip_ha1, sip_ha1b)
SELECT :app_id, :cid, number, now(), md5(pw) || md5(pw) || md5(pw), md5(pw) || md5(pw) || md5(pw),
       md5(concat_ws(chr(58), number, 'realm', pw)), md5(concat_ws(chr(58), number || '@domain', 'realm', pw))
  FROM (SELECT number, md5(random()::text) AS pw FROM unnest(:nums::varchar[]) AS number) s ORDER BY number;
UPDATE accounts_customer SET numbers_added = numbers_added + :n WHERE id = :cid;
INSERT INTO letters_letter (kind, customer_id, application_id, recipient_name, postal_code, address, queued_at,
                            print_count)
VALUES ('service_start', :cid, :app_id, :name, :postal, :address, now(), 0);
INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, action, customer_id, target, detail)
VALUES (now(), 'customer', :uid, :username, 'application.placed', :cid, 'P-' || :k::text,
        jsonb_build_object('count', :n::int, 'numbers', to_jsonb(:nums::text[]), 'monthly_fee_per_number', :fee::int));
COMMIT;
