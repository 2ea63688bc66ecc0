"""Every management command, through call_command: success output, clear refusals, --help."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone, translation

from selfcare.accounts.models import Customer, User
from selfcare.audit.models import AuditEntry
from selfcare.core import clock
from selfcare.inventory.models import PhoneNumber
from selfcare.letters.models import Letter
from selfcare.orders.models import Application, Cancellation, IssuedLine
from selfcare.orders.services import numbers_add, quarantine_end
from selfcare.testing import TEST_ACTOR, CustomerFactory

COMMANDS = {
    "import_numbers": "--csv",
    "create_customer": "--selfcare-id",
    "set_limit": "selfcare_id",
    "cancel_numbers": "--received-on",
    "seed_demo": "demo",
    "check_invariants": "invariants",
    "rotate_encryption_keys": "--no-progress",
}


def run(name: str, *args: str, **options: object) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(name, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def refused(name: str, *args: str) -> tuple[str, str]:
    """Run a command that must fail; return its error message and what it printed before."""
    out = StringIO()
    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command(name, *args, stdout=out, stderr=StringIO())
    return str(error.value), out.getvalue()


# --- --help --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), COMMANDS.items(), ids=list(COMMANDS))
def test_given_any_command_when_asked_for_help_then_it_prints_usage_and_exits_zero(capsys, name, expected):
    with pytest.raises(SystemExit) as exited:
        call_command(name, "--help")

    assert exited.value.code == 0
    printed = capsys.readouterr().out
    assert "usage:" in printed
    assert expected in printed


# --- import_numbers ------------------------------------------------------------------------------


def test_given_a_range_when_importing_then_the_numbers_are_free_from_today(db):
    output = run("import_numbers", "05012340000", "05012340009", "--no-progress")

    assert "Added 10 numbers; skipped 0 already known." in output
    numbers = PhoneNumber.objects.order_by("number")
    assert [n.number for n in numbers] == [f"050123400{i:02d}" for i in range(10)]
    assert {n.status for n in numbers} == {PhoneNumber.Status.FREE}
    assert {n.available_from for n in numbers} == {clock.today()}
    entry = AuditEntry.objects.get(action="inventory.imported")
    assert entry.target == "range:05012340000-05012340009"
    assert entry.detail["added"] == 10


def test_given_an_imported_range_when_importing_it_again_then_everything_is_skipped(db):
    run("import_numbers", "05012340000", "05012340009", "--no-progress")

    again = run("import_numbers", "05012340000", "05012340009", "--no-progress")
    overlapping = run("import_numbers", "05012340005", "05012340014", "--no-progress")

    assert "Added 0 numbers; skipped 10 already known." in again
    assert "Added 5 numbers; skipped 5 already known." in overlapping
    assert PhoneNumber.objects.count() == 15


def test_given_assigned_numbers_when_importing_them_again_then_they_stay_assigned(customer, pool):
    numbers_add(customer_id=customer.pk, count=2, idempotency_key="k", actor=TEST_ACTOR)

    output = run("import_numbers", "05000000000", "05000000001", "--no-progress", "--available-from", "2020-01-01")

    assert "Added 0 numbers; skipped 2 already known." in output
    assert set(PhoneNumber.objects.filter(number__in=pool[:2]).values_list("status", flat=True)) == {"assigned"}


def test_given_hyphenated_numbers_and_a_start_date_when_importing_then_they_are_normalised_and_wait(db):
    output = run(
        "import_numbers",
        "050-1234-0000",
        "０５０－１２３４－０００２",
        "--available-from",
        "2099-04-01",
        "--no-progress",
    )

    assert "Added 3 numbers" in output
    assert set(PhoneNumber.objects.values_list("available_from", flat=True)) == {dt.date(2099, 4, 1)}
    assert not PhoneNumber.objects.issuable().exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("0601234000", "05012340009"), "'0601234000' is not a 050 number"),
        (("05012340000", "0501234000X"), "is not a 050 number"),
        (("05012340009", "05012340000"), "The range 05012340009 to 05012340000"),
        (("05012340009", "05012340000"), "is empty"),
        (("05000000000", "05099999999"), "at most 10000000"),
        (("05012340000",), "Give a range FIRST LAST"),
        ((), "Give a range FIRST LAST"),
        (("05012340000", "05012340009", "--available-from", "2024-13-01"), "'2024-13-01' is not a date"),
        (("05012340000", "05012340009", "--available-from", "yesterday"), "YYYY-MM-DD"),
    ],
    ids=[
        "bad-first",
        "bad-last",
        "reversed-names-range",
        "reversed-is-empty",
        "too-large",
        "one-end",
        "nothing",
        "month-13",
        "words",
    ],
)
def test_given_bad_input_when_importing_then_a_clear_command_error_and_nothing_imported(db, args, message):
    error, _ = refused("import_numbers", *args, "--no-progress")

    assert message in error
    assert not PhoneNumber.objects.exists()


def test_given_a_csv_with_a_header_and_hyphenated_numbers_when_importing_then_all_are_added(db, tmp_path):
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text(
        "\ufeff番号,メモ\n"
        "050-1111-0001,a\n"
        "05011110002,b\n"
        "\n"
        "０５０－１１１１－０００３,c\n"
        "050 1111 0004\n"
        "050-1111-0001,dup\n",
        encoding="utf-8",
    )

    output = run("import_numbers", "--csv", str(csv_file), "--no-progress")

    assert "Added 4 numbers; skipped 0 already known." in output
    assert sorted(PhoneNumber.objects.values_list("number", flat=True)) == [
        "05011110001",
        "05011110002",
        "05011110003",
        "05011110004",
    ]
    assert AuditEntry.objects.get(action="inventory.imported").target == "csv:numbers.csv"

    again = run("import_numbers", "--csv", str(csv_file), "--no-progress")
    assert "Added 0 numbers; skipped 4 already known." in again


def test_given_a_csv_with_a_bad_line_when_importing_then_the_line_number_is_named_and_nothing_imported(db, tmp_path):
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text("number\n05011110001\n05011110002\n0501111000\n05011110004\n", encoding="utf-8")

    error, _ = refused("import_numbers", "--csv", str(csv_file), "--no-progress")

    assert "Line 4 of the CSV file:" in error
    assert "'0501111000' is not a 050 number" in error
    assert not PhoneNumber.objects.exists()


def test_given_a_line_without_digits_after_the_first_when_importing_then_it_is_not_skipped_as_a_header(db, tmp_path):
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text("number\n05011110001\nnumber\n05011110002\n", encoding="utf-8")

    error, _ = refused("import_numbers", "--csv", str(csv_file), "--no-progress")

    assert "Line 3 of the CSV file:" in error
    assert not PhoneNumber.objects.exists()


def test_given_a_bad_first_line_with_digits_when_importing_then_it_is_not_taken_for_a_header(db, tmp_path):
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text("1234\n05011110001\n", encoding="utf-8")

    error, _ = refused("import_numbers", "--csv", str(csv_file), "--no-progress")

    assert "Line 1 of the CSV file:" in error


def test_given_a_missing_csv_when_importing_then_cannot_read(db, tmp_path):
    error, _ = refused("import_numbers", "--csv", str(tmp_path / "missing.csv"), "--no-progress")

    assert "Cannot read" in error
    assert "missing.csv" in error


def test_given_a_shift_jis_csv_when_importing_then_not_utf8(db, tmp_path):
    csv_file = tmp_path / "sjis.csv"
    csv_file.write_bytes("番号\n05011110001\n".encode("shift_jis"))

    error, _ = refused("import_numbers", "--csv", str(csv_file), "--no-progress")

    assert "is not UTF-8 text" in error
    assert not PhoneNumber.objects.exists()


def test_given_a_range_and_a_csv_when_importing_then_refused(db, tmp_path):
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text("05011110001\n", encoding="utf-8")

    error, _ = refused("import_numbers", "05012340000", "05012340009", "--csv", str(csv_file), "--no-progress")

    assert "not both" in error
    assert not PhoneNumber.objects.exists()


# --- create_customer -----------------------------------------------------------------------------


CUSTOMER_ARGS = ("--selfcare-id", "acme0001", "--email", "acme@example.com", "--name", "アクメ株式会社")


def test_given_no_password_when_creating_a_customer_then_a_generated_password_is_printed_once(plan, argon2):
    output = run("create_customer", *CUSTOMER_ARGS, "--plan", "basic", "--address", "東京都千代田区1-1")

    assert "Created customer acme0001 (アクメ株式会社), plan basic, limit 50." in output
    match = re.search(r"Initial password \(shown once\): (\S+)", output)
    assert match is not None
    password = match.group(1)
    assert output.count(password) == 1
    user = User.objects.get(username="acme0001")
    assert user.check_password(password)
    assert user.password.startswith("argon2")
    assert user.customer.address == "東京都千代田区1-1"


def test_given_a_chosen_password_and_limit_when_creating_then_no_password_is_printed(plan):
    output = run(
        "create_customer", *CUSTOMER_ARGS, "--plan", "basic", "--limit", "10", "--password", "correct horse battery"
    )

    assert "limit 10." in output
    assert "Initial password" not in output
    assert "correct horse battery" not in output
    assert User.objects.get(username="acme0001").check_password("correct horse battery")
    assert Customer.objects.get().addition_limit == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((*CUSTOMER_ARGS, "--plan", "nope"), "No plan has the code nope."),
        (("--selfcare-id", "ab", "--email", "a@example.com", "--name", "x", "--plan", "basic"), "A self-care ID is 4"),
        (("--selfcare-id", "abcd", "--email", "nope", "--name", "x", "--plan", "basic"), "valid email address"),
        ((*CUSTOMER_ARGS, "--plan", "basic", "--limit", "-3"), "'-3' is negative"),
        ((*CUSTOMER_ARGS, "--plan", "basic", "--limit", "many"), "'many' is not a whole number"),
        ((*CUSTOMER_ARGS, "--plan", "basic", "--password", "short"), "too short"),
        ((*CUSTOMER_ARGS, "--plan", "basic", "--limit", "100001"), "from 0 to 100000"),
        (CUSTOMER_ARGS, "--plan"),
    ],
    ids=[
        "unknown-plan",
        "bad-id",
        "bad-email",
        "negative-limit",
        "word-limit",
        "weak-password",
        "huge-limit",
        "no-plan",
    ],
)
def test_given_bad_input_when_creating_a_customer_then_a_clear_command_error(plan, args, message):
    error, _ = refused("create_customer", *args)

    assert message in error
    assert not Customer.objects.exists()


def test_given_a_taken_id_when_creating_a_customer_then_refused(plan):
    run("create_customer", *CUSTOMER_ARGS, "--plan", "basic")

    error, _ = refused(
        "create_customer", "--selfcare-id", "ACME0001", "--email", "b@example.com", "--name", "b", "--plan", "basic"
    )

    assert "The self-care ID ACME0001 is already in use." in error
    assert Customer.objects.count() == 1


# --- set_limit -----------------------------------------------------------------------------------


def test_given_a_customer_when_setting_the_limit_then_old_and_new_are_printed(customer):
    output = run("set_limit", customer.selfcare_id, "60")

    assert f"Limit of {customer.selfcare_id}: 50 -> 60 (0 added so far)." in output
    customer.refresh_from_db()
    assert customer.addition_limit == 60
    assert AuditEntry.objects.get(action="customer.limit_changed").detail == {"from": 50, "to": 60}


def test_given_numbers_added_when_setting_the_limit_below_them_then_refused(customer, pool):
    numbers_add(customer_id=customer.pk, count=5, idempotency_key="k", actor=TEST_ACTOR)

    error, _ = refused("set_limit", customer.selfcare_id, "4")

    assert "cannot be lower than the 5 numbers" in error
    customer.refresh_from_db()
    assert customer.addition_limit == 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody", "10"), "No customer has the self-care ID nobody."),
        (("{id}", "-1"), "'-1' is negative"),
        (("{id}", "ten"), "'ten' is not a whole number"),
        (("{id}", "100001"), "from 0 to 100000"),
        (("{id}",), "limit"),
    ],
    ids=["unknown-customer", "negative", "word", "too-large", "missing"],
)
def test_given_bad_input_when_setting_the_limit_then_a_clear_command_error(customer, args, message):
    error, _ = refused("set_limit", *(a.format(id=customer.selfcare_id) for a in args))

    assert message in error
    customer.refresh_from_db()
    assert customer.addition_limit == 50


# --- cancel_numbers ------------------------------------------------------------------------------


@pytest.fixture
def held(customer, pool):
    numbers_add(customer_id=customer.pk, count=3, idempotency_key="k", actor=TEST_ACTOR)
    return customer, pool[:3]


def test_given_held_numbers_when_cancelling_then_the_quarantine_end_is_printed(held):
    customer, numbers = held
    received = clock.today()
    effective = received + dt.timedelta(days=5)

    output = run(
        "cancel_numbers",
        "050-0000-0000",
        numbers[1],
        "--received-on",
        received.isoformat(),
        "--effective-on",
        effective.isoformat(),
        "--note",
        "書面",
    )

    assert (
        f"Cancelled 2 numbers of {customer.selfcare_id} from {effective}; "
        f"they can be issued again from {quarantine_end(effective)}." in output
    )
    cancellation = Cancellation.objects.get()
    assert cancellation.note == "書面"
    assert sorted(cancellation.lines.values_list("number_id", flat=True)) == numbers[:2]
    assert PhoneNumber.objects.get(number=numbers[0]).available_from == quarantine_end(effective)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("05000000000", "--received-on", "2024-02-30"), "'2024-02-30' is not a date in the form YYYY-MM-DD"),
        (("05000000000", "--received-on", "2024-03-05", "--effective-on", "5 March"), "'5 March' is not a date"),
        (("0500000000", "--received-on", "2024-03-05"), "'0500000000' is not a 050 number"),
        (("05000000000",), "--received-on"),
        (("--received-on", "2024-03-05"), "NUMBER"),
        (
            ("05000000000", "--received-on", "2024-03-05", "--effective-on", "2024-03-04"),
            "cannot take effect (2024-03-04) before the form was received (2024-03-05)",
        ),
        (("05000000199", "--received-on", "2024-03-05"), "not held by the customer"),
        (("05000000000", "05000000199", "--received-on", "2024-03-05"), "050-0000-0199"),
        (("05000000000", "--received-on", "9999-12-31"), "cannot take effect after 9999-06-30"),
        (
            ("05000000000", "--received-on", "2024-03-05", "--effective-on", "9999-07-01"),
            "cannot take effect after 9999-06-30",
        ),
    ],
    ids=[
        "bad-received",
        "bad-effective",
        "bad-number",
        "no-date",
        "no-number",
        "reversed",
        "free",
        "one-free",
        "end-of-calendar",
        "effective-end-of-calendar",
    ],
)
def test_given_bad_input_when_cancelling_then_a_clear_command_error_and_nothing_cancelled(held, args, message):
    error, _ = refused("cancel_numbers", *args)

    assert message in error
    assert not Cancellation.objects.exists()
    assert IssuedLine.objects.not_cancelled().count() == 3


def test_given_numbers_of_two_customers_when_cancelling_then_refused(held):
    other = CustomerFactory()
    numbers_add(customer_id=other.pk, count=1, idempotency_key="k", actor=TEST_ACTOR)

    error, _ = refused("cancel_numbers", "05000000000", "05000000003", "--received-on", "2024-03-05")

    assert "belong to several" in error
    assert not Cancellation.objects.exists()


# --- rotate_encryption_keys ----------------------------------------------------------------------


def test_given_lines_when_rotating_keys_then_they_are_re_encrypted_under_the_new_first_key(settings, customer, pool):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SELFCARE_ENCRYPTION_KEYS = [old_key]
    numbers_add(customer_id=customer.pk, count=2, idempotency_key="rot", actor=TEST_ACTOR)
    clear = {line.pk: (line.service_pin(), line.sip_password()) for line in IssuedLine.objects.all()}
    settings.SELFCARE_ENCRYPTION_KEYS = [new_key, old_key]

    output = run("rotate_encryption_keys", "--no-progress")

    assert "Re-encrypted the passwords of 2 issued lines." in output
    settings.SELFCARE_ENCRYPTION_KEYS = [new_key]
    assert {line.pk: (line.service_pin(), line.sip_password()) for line in IssuedLine.objects.all()} == clear
    assert AuditEntry.objects.get(action="credentials.rotated").actor_label == "rotate_encryption_keys"


# --- seed_demo and check_invariants --------------------------------------------------------------


def _demo_password(output: str) -> str:
    match = re.search(r"セルフケアパスワード: (\S+)", output)
    assert match is not None, output
    return match.group(1)


@pytest.fixture
def demo(db):
    return run("seed_demo")  # hashed fast (settings/test.py); argon2 itself is checked with create_customer


def test_given_an_empty_database_when_checking_invariants_then_all_pass(db):
    output = run("check_invariants")

    assert "All 11 checks passed" in output
    assert "FAIL" not in output


def test_given_an_empty_database_when_seeding_then_demo_data_is_ready_and_the_password_works(demo):
    assert "Demo data ready: 3020 numbers issuable now, 20 in quarantine (3000 new)." in demo
    password = _demo_password(demo)
    assert User.objects.get(username="demo0001").check_password(password)
    assert Customer.objects.count() == 2
    assert IssuedLine.objects.filter(cancellation__isnull=False).count() == 40
    assert Cancellation.objects.count() == 2
    # The former customer's application of two years ago is numbered by the day it was placed.
    history = Application.objects.get(customer__user__username="former0001")
    assert history.application_number.startswith(f"{timezone.localtime(history.placed_at):%y%m%d}-")


def test_given_seeded_data_when_checking_invariants_then_all_pass(demo):
    output = run("check_invariants")

    assert "All 11 checks passed" in output
    assert "FAIL" not in output


def test_given_seeded_data_when_seeding_again_then_nothing_is_duplicated_and_a_new_password_is_given(demo):
    counts = (
        Customer.objects.count(),
        PhoneNumber.objects.count(),
        Application.objects.count(),
        IssuedLine.objects.count(),
        Cancellation.objects.count(),
        Letter.objects.count(),
    )
    first_password = _demo_password(demo)

    again = run("seed_demo")

    assert "(0 new)" in again
    assert "3020 numbers issuable now, 20 in quarantine" in again
    assert (
        Customer.objects.count(),
        PhoneNumber.objects.count(),
        Application.objects.count(),
        IssuedLine.objects.count(),
        Cancellation.objects.count(),
        Letter.objects.count(),
    ) == counts
    user = User.objects.get(username="demo0001")
    assert user.check_password(_demo_password(again))
    assert not user.check_password(first_password)
    assert "All 11 checks passed" in run("check_invariants")


def _set_back_to_free():
    numbers_add(
        customer_id=Customer.objects.get(user__username="demo0001").pk, count=1, idempotency_key="x", actor=TEST_ACTOR
    )
    number = IssuedLine.objects.not_cancelled().get().number_id
    PhoneNumber.objects.filter(number=number).update(status="free")
    return number


def _bump_counter():
    Customer.objects.filter(user__username="demo0001").update(numbers_added=F("numbers_added") + 1)
    return str(Customer.objects.get(user__username="demo0001").pk)


def _drop_a_letter():
    number = Application.objects.get().application_number
    Letter.objects.all().delete()
    return number


def _end_a_quarantine_early():
    number = "05099990039"
    PhoneNumber.objects.filter(number=number).update(available_from=clock.today() - dt.timedelta(days=1))
    return number


def _wipe_a_password():
    IssuedLine.objects.filter(number_id="05099990000").update(sip_password_encrypted="")
    return "05099990000"


@pytest.mark.parametrize(
    ("corrupt", "failed_check"),
    [
        (_set_back_to_free, "no free number has a holder not cancelled"),
        (_bump_counter, "its counter matches its applications"),
        (_drop_a_letter, "every application has its service-start letter"),
        (_end_a_quarantine_early, "waits until its quarantine ends"),
        (_wipe_a_password, "keeps both passwords"),
    ],
    ids=["number-freed-while-held", "counter-bumped", "letter-missing", "quarantine-shortened", "password-wiped"],
)
def test_given_corrupted_seed_data_when_checking_invariants_then_the_command_fails_naming_it(
    demo, corrupt, failed_check
):
    example = corrupt()

    error, output = refused("check_invariants")

    assert re.fullmatch(r"\d+ of 11 checks failed \(\d+\.\d s\)\.", error)
    failing = [line for line in output.splitlines() if line.startswith("FAIL")]
    assert any(failed_check in line for line in failing), output
    assert example in output
