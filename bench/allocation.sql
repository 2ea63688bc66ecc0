-- The allocation transaction of selfcare.orders.services.numbers_add as a plain pgbench script:
-- the ceiling the Django code is held to (bench/allocation.py runs both on the same server).
-- Statement for statement what the service sends, in the same lock order (customer, then
-- numbers with SKIP LOCKED), without the ORM or the password encryption (placeholders of the
-- same length): the lock wait bounded once, the customer locked, the idempotency look-up, the
-- numbers locked and claimed in one statement, the application, the pool tally, the lines,
-- the counter, the letter, the notice's job, the audit entry and the look-up of the customer's
-- webhook endpoints. The registrar's two digests are computed here as the service computes them.
-- Not here: the count of numbers issued by day (inventory_issuecount), one INSERT more in the service.
-- Variables: n (numbers per application), cfirst and clast (the customers to draw from).
-- pgbench reads :name as a variable even inside quotes, hence chr(58) for a colon.
\set cid random(:cfirst, :clast)
\set k random(1, 999999999999999999)
BEGIN;
SELECT set_config('lock_timeout', '5000ms', true);
SELECT c.numbers_added, c.addition_limit, c.status, c.contract_name AS name, c.postal_code AS postal,
       c.address, u.id AS uid, u.username, p.code AS plan_code, p.monthly_fee_per_number AS fee
  FROM accounts_customer c JOIN accounts_user u ON u.id = c.user_id JOIN accounts_plan p ON p.id = c.plan_id
 WHERE c.id = :cid FOR NO KEY UPDATE OF c \gset
SELECT id FROM orders_application WHERE customer_id = :cid AND idempotency_key = 'pgbench-' || :k::text LIMIT 1;
WITH picked AS MATERIALIZED (
    SELECT number FROM inventory_phonenumber WHERE status = 'free' AND available_from <= current_date
     ORDER BY available_from, number LIMIT :n FOR UPDATE SKIP LOCKED),
claimed AS (
    UPDATE inventory_phonenumber SET status = 'assigned' WHERE number IN (SELECT number FROM picked) AND status = 'free'
    RETURNING number, available_from)
SELECT array_agg(number ORDER BY number) AS nums, min(available_from) AS day FROM claimed \gset
INSERT INTO orders_application (application_number, customer_id, count, monthly_fee_per_number, plan_code,
                                idempotency_key, placed_at)
VALUES ('P-' || :k::text, :cid, :n, :fee, :plan_code, 'pgbench-' || :k::text, now()) RETURNING id AS app_id \gset
INSERT INTO inventory_poolchange (available_from, numbers) VALUES (:day::date, -:n::int), (NULL, :n::int);
INSERT INTO inventory_issuecount (day, numbers) VALUES ((now() AT TIME ZONE 'Asia/Tokyo')::date, :n::int);
INSERT INTO orders_issuedline (application_id, customer_id, number, issued_at, service_pin_encrypted,
                               sip_password_encrypted, sip_ha1, sip_ha1b)
SELECT :app_id, :cid, number, now(), md5(pw) || md5(pw) || md5(pw), md5(pw) || md5(pw) || md5(pw),
       md5(concat_ws(chr(58), number, 'realm', pw)), md5(concat_ws(chr(58), number || '@domain', 'realm', pw))
  FROM (SELECT number, md5(random()::text) AS pw FROM unnest(:nums::varchar[]) AS number) s ORDER BY number;
UPDATE accounts_customer SET numbers_added = numbers_added + :n WHERE id = :cid;
INSERT INTO letters_letter (kind, customer_id, application_id, recipient_name, postal_code, address, queued_at,
                            print_count, withdrawn_reason)
VALUES ('service_start', :cid, :app_id, :name, :postal, :address, now(), 0, '');
INSERT INTO django_tasks_database_dbtaskresult (id, status, args_kwargs, priority, task_path, queue_name, backend_name,
                                               run_after, enqueued_at, exception_class_path, traceback, worker_ids)
VALUES (gen_random_uuid(), 'READY', jsonb_build_object('args', '[]'::jsonb, 'kwargs',
        jsonb_build_object('language', 'ja', 'application_id', :app_id::int)), 0,
        'selfcare.orders.jobs.application_notice_send', 'default', 'default', 'infinity', now(), '', '', '[]');
INSERT INTO core_auditentry (at, actor_kind, actor_user_id, actor_label, action, customer_id, target, detail)
VALUES (now(), 'customer', :uid, :username, 'application.placed', :cid, 'P-' || :k::text,
        jsonb_build_object('count', :n::int, 'numbers', to_jsonb(:nums::text[]), 'monthly_fee_per_number', :fee::int));
SELECT id, url, events, secret_encrypted FROM integrations_webhookendpoint WHERE customer_id = :cid AND disabled_at IS NULL;
COMMIT;
