"""What a staff member typed into a list's search box, recognised for what it is, and the query an index
serves for it (docs/rules.md, "Staff searches").

A term is one of: a whole 050 number (hyphens, spaces and full-width digits allowed), the start of one, an
application number (or its start), an e-mail address (anything with an @), or a word: a self-care ID, a
contract name, an e-mail address, or a part of any of them. Each kind runs the lookups an index serves on
PostgreSQL: the numbers' primary key and the lines' number index by range, b-trees with pattern operators
for prefixes (Django makes them for unique and indexed text columns; ``core.0004`` for audit targets),
trigram (pg_trgm) indexes for contains-searches of names, IDs and e-mail addresses (``accounts.0007``).
On SQLite the same lookups give the same rows, without the indexes.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import StrIndex, Upper
from django.utils.translation import gettext as _

from selfcare.accounts.models import Customer, User
from selfcare.backoffice.audit_labels import ACTION_LABELS
from selfcare.inventory.services import NUMBER_SEPARATORS
from selfcare.letters.models import Letter
from selfcare.orders.models import Application, IssuedLine

# The customers a word or an address can stand for on a list, the customers' own included: a fragment such
# as 新潟建設 matches hundreds at ten million numbers, and the rows of hundreds of customers are a page no one
# reads and a query that grows with the pool. The first of them (by id) are shown and the list says that more
# match, so that the operator types more of the name (as the paper cancellation's form lists 10 at most).
MAX_CUSTOMERS = 10
# The holders a number prefix or an application number can stand for (and the staff users a word can): an
# 8-digit prefix is a thousand numbers, each with its holders.
MAX_HOLDERS = 1000
NUMBER_LENGTH = 11  # inventory.models.NUMBER_PATTERN: 050 and eight digits
TRIGRAM = 3  # the shortest word a trigram index can look up
# The words of one search: each word is one more pass over the customers and their logins (a short one has
# no trigram), so a search of hundreds of words held a worker and the database for minutes. A name is a few
# words; the list says which words were left out.
MAX_WORDS = 4
# The longest text a word can be found in (an e-mail address, EmailField's 254): a longer word finds nothing.
LONGEST_SEARCHED = 254

_DIGITS = re.compile(r"[0-9]+", flags=re.ASCII)
_APPLICATION = re.compile(r"[0-9]{6}-[0-9A-Z]{0,8}", flags=re.ASCII)
_APPLICATION_UNHYPHENATED = re.compile(r"([0-9]{6})\s?([0-9A-Z]{0,7}[A-Z][0-9A-Z]{0,7})", flags=re.ASCII)


class Kind(enum.Enum):
    NOTHING = "nothing"
    NUMBER = "number"
    NUMBER_PREFIX = "number prefix"
    APPLICATION = "application number"
    EMAIL = "e-mail"
    WORD = "word"


@dataclass(frozen=True)
class Term:
    kind: Kind
    text: str
    typed: str = ""
    """What was typed (NFKC, trimmed): a self-care ID can look like the start of a number (``0501-2345``)."""

    @property
    def words(self) -> list[str]:
        """A word term's words: what was typed, split at spaces (full-width ones too, made plain by NFKC), each
        once (whatever its case), without a word found inside another (it adds nothing: what holds the longer
        one holds it), at most ``MAX_WORDS`` of them."""
        return self._distinct_words()[:MAX_WORDS]

    @property
    def words_left_out(self) -> list[str]:
        """The distinct words past ``MAX_WORDS``, not searched for (the list says so)."""
        return self._distinct_words()[MAX_WORDS:]

    def _distinct_words(self) -> list[str]:
        typed = self.text.split()
        folded = [word.casefold() for word in typed]
        kept: list[str] = []
        for index, word in enumerate(folded):
            inside_another = any(
                word in other and (word != other or other_index < index)
                for other_index, other in enumerate(folded)
                if other_index != index
            )
            if not inside_another:
                kept.append(typed[index])
        return kept

    @property
    def number_range(self) -> tuple[str, str]:
        """The first and last numbers starting with this prefix (numbers are all 11 digits: a range on an index)."""
        return self.text.ljust(NUMBER_LENGTH, "0"), self.text.ljust(NUMBER_LENGTH, "9")


def recognise(typed: str) -> Term:
    """``090``-style input is not ours: only a term starting with 0 and at most 11 digits long is a number."""
    text = unicodedata.normalize("NFKC", typed).replace("\x00", "").strip()
    if not text:
        return Term(Kind.NOTHING, "")
    compact = NUMBER_SEPARATORS.sub("", text)
    if _DIGITS.fullmatch(compact) and len(compact) <= NUMBER_LENGTH and "050".startswith(compact[:3]):
        return Term(Kind.NUMBER if len(compact) == NUMBER_LENGTH else Kind.NUMBER_PREFIX, compact, text)
    if _APPLICATION.fullmatch(text.upper()):
        return Term(Kind.APPLICATION, text.upper(), text)
    if unhyphenated := _APPLICATION_UNHYPHENATED.fullmatch(text.upper()):  # 261124 7KQ3M9XA, 2611247KQ3M9XA
        return Term(Kind.APPLICATION, f"{unhyphenated[1]}-{unhyphenated[2]}", text)
    if "@" in text:
        return Term(Kind.EMAIL, text)
    return Term(Kind.WORD, text)


# --- the rows each kind of term finds ----------------------------------------------------------------------


def lines_of_number(term: Term) -> QuerySet:
    """The lines (past and present holders) of a number or of the numbers starting with a prefix."""
    if term.kind is Kind.NUMBER:
        return IssuedLine.objects.filter(number_id=term.text)
    first, last = term.number_range
    return IssuedLine.objects.filter(number_id__gte=first, number_id__lte=last)


def users_matching(term: Term, *, emails: bool = True) -> QuerySet:
    """Logins whose self-care ID (user name) or e-mail address contains the term, whatever its case; for words
    typed with spaces between them, each word (in either). Without ``emails`` (staff whose role may not see
    customers) addresses are not searched: one could read them out a character at a time from what a search
    finds."""
    if term.kind is Kind.EMAIL:
        return _addresses_containing(term.text) if emails else User.objects.none()
    words = term.words or [term.text]
    if any(len(word) > LONGEST_SEARCHED for word in words):
        return User.objects.none()
    users = User.objects.all()
    for word in words:
        if not emails:
            users = users.filter(username__icontains=word)
        else:
            users = users.filter(Q(username__icontains=word) | Q(email__icontains=word))
    return users


def _addresses_containing(text: str) -> QuerySet:
    """Logins whose e-mail address contains ``text`` (with an @), whatever its case.

    Every address shares its domain's trigrams with thousands of others (example.co.jp): the trigram index,
    asked for the whole text, reads their long lists for the one address that has them all (70 ms at half a
    million addresses). It is asked only for the part before the @ (the part that tells one address from
    another; the part after it when that is shorter than a trigram), and the whole text is compared in the
    rows it offers: the same addresses, the index reading a few hundred entries instead of thousands."""
    local, _at, domain = text.partition("@")
    piece = f"{local}@" if len(local) >= TRIGRAM or not domain else f"@{domain}"
    users = User.objects.filter(email__icontains=piece)
    if piece == text:
        return users
    # STRPOS of the upper-cased address, as icontains compares but in no form the index serves: a filter of the
    # rows the piece found.
    return users.alias(_found_at=StrIndex(Upper("email"), Upper(Value(text)))).filter(_found_at__gt=0)


def customer_ids(term: Term, *, emails: bool = True) -> QuerySet:
    """The ids of the customers a term stands for (a flat ``values_list``, each once): one query an index
    serves, for use as a subquery."""
    if term.kind in (Kind.NUMBER, Kind.NUMBER_PREFIX):
        holders = lines_of_number(term).order_by().values_list("customer_id", flat=True)
        by_id = Customer.objects.filter(user__username__istartswith=term.typed).order_by()
        return holders.union(by_id.values_list("pk", flat=True))  # a self-care ID may look like a number
    if term.kind is Kind.APPLICATION:
        applications = Application.objects.filter(application_number__startswith=term.text).order_by()
        return applications.values_list("customer_id", flat=True).distinct()
    if term.kind is Kind.EMAIL:
        logins = users_matching(term, emails=emails).values("pk")
        return Customer.objects.filter(user__in=logins).order_by().values_list("pk", flat=True)
    if term.kind is Kind.WORD:
        words = term.words
        if any(len(word) > LONGEST_SEARCHED for word in words):
            return Customer.objects.none().values_list("pk", flat=True)
        if len(words) == 1:
            return _customers_of_word(words[0], emails=emails)
        # Words typed with spaces between them (山田 太郎, アクメ 東京, a full-width space too): the customers in
        # whose name, ID or address each word is found, wherever (as Django's own admin search reads them), so
        # that a name stored with or without the space, or split between the name and the ID, is found. The
        # longest word, when it has a trigram, is looked up by the indexes; the others are compared in the rows
        # it found. Words of one or two characters (山田 太郎) have no trigram: the customers and their logins
        # are then read once for all the words, not once a word.
        longest = max(words, key=len)
        customers = Customer.objects.order_by()
        rest = list(words)
        if len(longest) >= TRIGRAM:
            customers = customers.filter(pk__in=_customers_of_word(longest, emails=emails))
            rest.remove(longest)
        for word in rest:
            found = Q(contract_name__icontains=word) | Q(user__username__icontains=word)
            customers = customers.filter(found | Q(user__email__icontains=word) if emails else found)
        return customers.values_list("pk", flat=True)
    return Customer.objects.none().values_list("pk", flat=True)


def _customers_of_word(word: str, *, emails: bool) -> QuerySet:
    """The customers whose contract name, self-care ID or e-mail address contains one word: each column by its
    own trigram index, the union of the three."""
    logins = users_matching(Term(Kind.WORD, word), emails=emails).values("pk")
    by_login = Customer.objects.filter(user__in=logins).order_by().values_list("pk", flat=True)
    by_name = Customer.objects.filter(contract_name__icontains=word).order_by().values_list("pk", flat=True)
    return by_name.union(by_login)


@dataclass(frozen=True)
class Found:
    """What a list shows for a term: its rows, and a warning to show above them when the search was cut short."""

    queryset: QuerySet
    note: str = ""


def customers_found(queryset: QuerySet, term: Term, *, emails: bool = True) -> Found:
    """The customers list: the customers a word or an address stands for, at most ``MAX_CUSTOMERS`` of them
    (the list says when more match); those a number or an application number stands for."""
    if term.kind is Kind.NOTHING:
        return Found(queryset)
    if term.kind in (Kind.WORD, Kind.EMAIL):
        customers, note = customers_meant(term, emails=emails)
        return Found(queryset.filter(pk__in=customers), note)
    return Found(queryset.filter(pk__in=customer_ids(term, emails=emails)))


def numbers_found(queryset: QuerySet, term: Term, *, emails: bool = True) -> Found:
    """The number inventory: a number, or the numbers starting with a prefix. Nothing else is a number
    (``emails`` is the searches' common argument: no address is searched here)."""
    if term.kind is Kind.NOTHING:
        return Found(queryset)
    if term.kind is Kind.NUMBER:
        return Found(queryset.filter(pk=term.text))
    if term.kind is Kind.NUMBER_PREFIX:
        return Found(queryset.filter(pk__range=term.number_range))
    return Found(queryset.none())


def by_customer_found(queryset: QuerySet, term: Term, *, number_field: str | None = None, emails: bool = True) -> Found:
    """A list of a customer's rows (lines, applications, cancellations, letters): by number on its own number
    column when it has one, by application number on its own application, else by the customers meant."""
    if term.kind is Kind.NOTHING:
        return Found(queryset)
    if term.kind in (Kind.NUMBER, Kind.NUMBER_PREFIX):
        if number_field is not None:
            if term.kind is Kind.NUMBER:
                return Found(queryset.filter(**{number_field: term.text}))
            first, last = term.number_range
            return Found(queryset.filter(**{f"{number_field}__gte": first, f"{number_field}__lte": last}))
        if queryset.model is not IssuedLine and hasattr(queryset.model, "lines"):
            return Found(queryset.filter(pk__in=lines_of_number(term).values(_line_link(queryset))))
        if queryset.model is Letter:  # the letters of its applications, and those reissuing its password
            lines = lines_of_number(term).order_by()
            letters = Letter.objects.order_by()  # no ORDER BY inside a UNION
            of_applications = letters.filter(application_id__in=lines.values("application_id")).values("pk")
            of_lines = letters.filter(line_id__in=lines.values("pk")).values("pk")
            return Found(queryset.filter(pk__in=of_applications.union(of_lines)))
    if term.kind is Kind.APPLICATION:
        model = queryset.model
        if model is Application:
            return Found(queryset.filter(application_number__startswith=term.text))
        if any(field.name == "application" for field in model._meta.get_fields()):
            return Found(queryset.filter(application__application_number__startswith=term.text))
    customers, note = customers_meant(term, emails=emails)
    return Found(queryset.filter(customer_id__in=customers), note)


def customers_meant(term: Term, *, emails: bool = True) -> tuple[list[int], str]:
    """The ids of the customers a term stands for, at most ``MAX_CUSTOMERS`` of them for a word or an address
    (``MAX_HOLDERS`` for a number or an application number), and the warning to show when there were more.
    Looked up first, the list's own query is then one index of its customer column: a subquery there let
    PostgreSQL walk the list's whole ordering index comparing each row with them."""
    most = MAX_CUSTOMERS if term.kind in (Kind.WORD, Kind.EMAIL) else MAX_HOLDERS
    # The lowest ids first: the same customers on every page of the list and for any action on it.
    ids = customer_ids(term, emails=emails)
    key = "pk" if ids.model is Customer else "customer_id"  # the lines' or applications' customer column
    customers = list(ids.order_by(key)[: most + 1])
    if len(customers) <= most:
        return customers, ""
    note = _(
        "More than %(n)s customers match “%(term)s”: the list shows the rows of the first %(n)s. "
        "Type more of the name, ID or address to narrow the search."
    ) % {"n": f"{most:,}", "term": term.text[:50]}
    return customers[:most], note


def _line_link(queryset: QuerySet) -> str:
    """The column of a line pointing at the list's model (a cancellation's lines, an application's lines)."""
    for field in IssuedLine._meta.concrete_fields:
        if field.is_relation and field.related_model is queryset.model:
            return field.attname
    raise LookupError(queryset.model)


def _audit_targets(term: Term) -> list[str]:
    """What the audit log names as the target of what happened to a number or an application: the number
    itself (a reissued password), the applications it was added by, the cancellations that ended it, and
    the letters that carried its passwords."""
    if term.kind is Kind.NUMBER:
        lines = IssuedLine.objects.filter(number_id=term.text)
    else:
        lines = IssuedLine.objects.filter(application__application_number__startswith=term.text)
    rows = list(lines.values_list("pk", "application_id", "application__application_number", "cancellation_id")[:500])
    targets = {term.text} if term.kind is Kind.NUMBER else set()
    targets |= {application_number for _pk, _app, application_number, _c in rows}
    targets |= {f"cancellation:{cancellation}" for _pk, _app, _n, cancellation in rows if cancellation}
    letters = Letter.objects.filter(
        Q(application_id__in={app for _pk, app, _n, _c in rows}) | Q(line_id__in={pk for pk, _a, _n, _c in rows})
    )
    targets |= {f"letter:{pk}" for pk in letters.values_list("pk", flat=True)[:500]}
    return sorted(targets) or [term.text]


def audit_found(queryset: QuerySet, term: Term, *, emails: bool = True) -> Found:
    """The audit log: what happened to a number or an application (its own entries, those of the
    applications, cancellations and letters it was part of); for anything else, entries about the customers
    meant, by the users meant, with the term as their target or of the actions whose code or label holds it.

    The customers and staff users are looked up first (at most ``MAX_CUSTOMERS`` and ``MAX_HOLDERS``), so that
    every part of the search is one index of the entries and the newest come first without reading all of them.
    """
    if term.kind is Kind.NOTHING:
        return Found(queryset)
    if term.kind in (Kind.NUMBER, Kind.APPLICATION):
        return Found(queryset.filter(target__in=_audit_targets(term)))
    customers, note = customers_meant(term, emails=emails)
    wanted = Q(customer_id__in=customers) | Q(target=term.text)
    if term.kind is Kind.NUMBER_PREFIX:
        wanted |= Q(target__startswith=term.text)
    if term.kind in (Kind.WORD, Kind.EMAIL):
        users = list(
            users_matching(term, emails=emails)
            .filter(is_staff=True)
            .order_by()
            .values_list("pk", flat=True)[:MAX_HOLDERS]
        )
        wanted |= Q(actor_user_id__in=users) | Q(target__startswith=term.text)
        folded = term.text.casefold()
        actions = [code for code, label in ACTION_LABELS.items() if folded in code or folded in str(label).casefold()]
        if actions:
            wanted |= Q(action__in=actions)
    return Found(queryset.filter(wanted), note)
