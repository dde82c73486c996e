"""Fictional demo cases: households, items, consents in every state, legal grounds, one pending referral.

Every name, date of birth, BSN and event is invented (the BSNs are well-known test numbers
that pass the elfproef). The data is chosen so that each demo partner sees a visibly
different view of the same case:

* MDA-2026-0001 (Familie Fictief-Jansen): GGZ-data about the mother shared with the wijkteam
  and Veilig Thuis by consent, not with the police; the father's consent to GGZ for justice
  data withdrawn; consent for the children partly expired; a conflict-of-duties decision
  gives the police GGZ-data about the father.
* MDA-2026-0002 (Familie Proefmans): probation and justice data by covenant to VT/OM/RECL,
  child-protection data to the shelter by the mother's consent as legal representative,
  a team lead's conflict-of-duties decision for probation.
* MDA-2025-0007 (Familie Voorbeeld): closed five months ago; the pending referral
  AM-2026-0001 names the same father, so the "already known?" check finds it and
  accepting makes a repeat case.

Idempotent: each case and the referral are looked up by reference; dates are relative to
the day the demo data is first loaded.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from mda.cases.models import (
    Case,
    CaseMember,
    CaseOrganisation,
    Consent,
    ConsentRecipient,
    DutyConflictDecision,
    Item,
    ItemPerson,
    Person,
    Referral,
    ReferralOrganisation,
    ReferralPerson,
)
from mda.core import audit
from mda.core.timeutil import utcnow
from mda.demo.accounts import demo_organisation, demo_user

COORDINATOR = "regisseur.zvh@demo.invalid"


class _Builder:
    """Creates the records of one demo case and counts them."""

    def __init__(self, db: Session, case: Case):
        self.db, self.case, self.created, self.today = db, case, 0, utcnow().date()
        self.coordinator = demo_user(db, COORDINATOR)

    def _add(self, obj):
        self.db.add(obj)
        self.db.flush()
        self.created += 1
        return obj

    def circle(self, org_types: list[str], members: list[str]) -> None:
        now = utcnow()
        for code in ["ZVH", *org_types]:
            self._add(CaseOrganisation(case_id=self.case.id, organisation_id=demo_organisation(self.db, code).id,
                                       added_at=now, added_by_id=self.coordinator.id))
        for email in members:
            self._add(CaseMember(case_id=self.case.id, user_id=demo_user(self.db, email).id, added_at=now,
                                 added_by_id=self.coordinator.id))

    def person(self, role: str, name: str, born: date, source: str, bsn: str | None = None,
               address: str = "") -> Person:
        return self._add(Person(case_id=self.case.id, role=role, name=name, date_of_birth=born, bsn=bsn,
                                address=address, source_organisation_id=demo_organisation(self.db, source).id))

    def item(self, category: str, content: str, source: str, author: str, days_ago: int,
             persons: list[Person]) -> Item:
        item = self._add(Item(case_id=self.case.id, category=category, content=content,
                              source_organisation_id=demo_organisation(self.db, source).id,
                              author_id=demo_user(self.db, author).id,
                              recorded_on=self.today - timedelta(days=days_ago), created_at=utcnow()))
        for person in persons:
            self._add(ItemPerson(item_id=item.id, person_id=person.id))
        return item

    def consent(self, person: Person, recipients: list[str], categories: list[str], *,
                given_by: str = "betrokkene zelf", method: str = "schriftelijk", given_days_ago: int = 60,
                valid_days: int | None = 180, withdrawn_days_ago: int | None = None,
                recorded_by: str = COORDINATOR) -> Consent:
        consent = self._add(Consent(
            case_id=self.case.id, person_id=person.id, given_by=given_by, purpose="Afstemming in het MDA++-overleg",
            method=method, categories_text=" ".join(categories), recorded_by_id=demo_user(self.db, recorded_by).id,
            given_on=self.today - timedelta(days=given_days_ago),
            valid_until=None if valid_days is None else self.today - timedelta(days=given_days_ago) + timedelta(
                days=valid_days),
            created_at=utcnow()))
        if withdrawn_days_ago is not None:
            consent.withdrawn_at = utcnow() - timedelta(days=withdrawn_days_ago)
            consent.withdrawn_by_id = consent.recorded_by_id
            consent.withdrawal_reason = "Betrokkene trekt de toestemming in (fictief)"
            self.db.add(consent)
        for code in recipients:
            self._add(ConsentRecipient(consent_id=consent.id, organisation_id=demo_organisation(self.db, code).id))
        return consent

    def duty_conflict(self, recipient: str, category: str, person: Person | None, decided_by: str, reason: str):
        return self._add(DutyConflictDecision(
            case_id=self.case.id, organisation_id=demo_organisation(self.db, recipient).id, category=category,
            person_id=person.id if person else None, decided_by_id=demo_user(self.db, decided_by).id,
            reason=reason, decided_at=utcnow() - timedelta(days=5)))


def _new_case(db: Session, reference: str, **fields) -> Case | None:
    if db.exec(select(Case).where(Case.reference == reference)).first() is not None:
        return None
    coordinator = demo_user(db, COORDINATOR)
    case = Case(reference=reference, region_id=coordinator.organisation.region_id, coordinator_id=coordinator.id,
                **fields)
    db.add(case)
    db.flush()
    return case


def _fictief_jansen(db: Session) -> int:
    case = _new_case(db, "MDA-2026-0001", phase="acute_veiligheid", urgency="hoog", opened_at=utcnow() - timedelta(
        days=40), reason="Herhaald fysiek geweld van vader tegen moeder in bijzijn van de kinderen; huisverbod "
        "opgelegd; meerdere hulpverleners betrokken zonder gezamenlijk plan (fictief).",
        goal="Eén gezamenlijk veiligheidsplan en afspraken over contact tussen vader en kinderen (fictief).")
    if case is None:
        return 0
    b = _Builder(db, case)
    b.circle(["VT", "POL", "GGZ", "LT"], ["medewerker.vt@demo.invalid", "agent.pol@demo.invalid",
                                           "behandelaar.ggz@demo.invalid", "wijkteam.lt@demo.invalid"])
    address = "Verzonnenlaan 12, 9999 ZZ Demodam (fictief)"
    anna = b.person("slachtoffer", "Anna Fictief-Jansen (fictief)", date(1988, 4, 12), "VT", "111222333", address)
    bert = b.person("vermoedelijke_pleger", "Bert Fictief (fictief)", date(1985, 9, 30), "POL", "123456782",
                    "Logeeradres Nergensweg 1, Demodam (fictief)")
    chloe = b.person("kind", "Chloë Fictief-Jansen (fictief)", date(2015, 6, 1), "VT", None, address)
    daan = b.person("kind", "Daan Fictief-Jansen (fictief)", date(2018, 11, 20), "VT", None, address)
    b.item("risicosignalen", "Drie meldingen van huiselijk geweld in het afgelopen jaar, de laatste met letsel "
           "bij moeder; kinderen waren thuis (fictief).", "VT", "medewerker.vt@demo.invalid", 30, [anna, bert])
    b.item("huisverbod", "Huisverbod van 10 dagen opgelegd door de burgemeester, verlengd tot 28 dagen; tot nu "
           "toe nageleefd (fictief).", "POL", "agent.pol@demo.invalid", 20, [bert])
    b.item("justitie", "Aangifte van mishandeling door moeder; zaak ligt bij het OM voor een "
           "vervolgingsbeslissing (fictief).", "POL", "agent.pol@demo.invalid", 18, [bert])
    b.item("gezondheid", "Moeder is in behandeling voor PTSS-klachten, wekelijks gesprek; behandeling loopt "
           "goed (fictief).", "GGZ", "behandelaar.ggz@demo.invalid", 12, [anna])
    b.item("gezondheid", "Vader volgt een agressieregulatietraining; twee sessies gemist, dreigende taal "
           "tegen de behandelaar (fictief).", "GGZ", "behandelaar.ggz@demo.invalid", 6, [bert])
    b.item("jeugdbescherming", "De Raad voor de Kinderbescherming onderzoekt of een ondertoezichtstelling "
           "nodig is voor beide kinderen (fictief).", "VT", "medewerker.vt@demo.invalid", 10, [chloe, daan])
    b.item("jeugdbescherming", "Chloë heeft op school verteld dat ze bang is als vader langskomt; de "
           "jeugdbeschermer is ingelicht (fictief).", "VT", "medewerker.vt@demo.invalid", 8, [chloe])
    b.item("hulpverlening", "Wijkteam begeleidt moeder twee keer per week bij financiën en dagstructuur "
           "(fictief).", "LT", "wijkteam.lt@demo.invalid", 15, [anna])
    b.consent(anna, ["LT", "VT"], ["gezondheid"], recorded_by="behandelaar.ggz@demo.invalid")
    b.consent(bert, ["GGZ"], ["justitie"], method="mondeling", withdrawn_days_ago=3,
              recorded_by="agent.pol@demo.invalid")
    representative = "Anna Fictief-Jansen (fictief) (wettelijk vertegenwoordiger)"
    b.consent(chloe, ["LT"], ["jeugdbescherming"], given_by=representative, recorded_by="wijkteam.lt@demo.invalid")
    b.consent(daan, ["LT"], ["jeugdbescherming"], given_by=representative, given_days_ago=200, valid_days=120,
              recorded_by="wijkteam.lt@demo.invalid")
    b.duty_conflict("POL", "gezondheid", bert, COORDINATOR,
                    "Vader uitte tegen de behandelaar bedreigingen met een mes richting moeder; de politie moet "
                    "dit weten om het huisverbod te handhaven. Toestemming vragen zou het gevaar vergroten (fictief).")
    return b.created + 1


def _proefmans(db: Session) -> int:
    case = _new_case(db, "MDA-2026-0002", phase="stabiele_veiligheid", urgency="normaal",
                     opened_at=utcnow() - timedelta(days=120),
                     reason="Belaging van moeder na scheiding; vader staat onder reclasseringstoezicht; zoon onder "
                     "toezicht gesteld (fictief).",
                     goal="Veiligheid van moeder en zoon in de opvang bewaken en de omgang regelen (fictief).")
    if case is None:
        return 0
    b = _Builder(db, case)
    b.circle(["VT", "RECL", "VO", "GI", "OM"], ["medewerker.vt@demo.invalid", "toezicht.recl@demo.invalid",
                                                "opvang.vo@demo.invalid", "jeugdbescherming.gi@demo.invalid",
                                                "officier.om@demo.invalid"])
    eva = b.person("slachtoffer", "Eva Proefmans (fictief)", date(1991, 2, 3), "VO", None,
                   "Opvanglocatie (adres geheim), Demodam (fictief)")
    frank = b.person("vermoedelijke_pleger", "Frank Proefmans (fictief)", date(1987, 7, 7), "RECL", None,
                     "Schijnstraat 4, Demodam (fictief)")
    gijs = b.person("kind", "Gijs Proefmans (fictief)", date(2012, 12, 12), "GI", None,
                    "Opvanglocatie (adres geheim), Demodam (fictief)")
    b.item("reclassering", "Reclasseringstoezicht met contactverbod en meldplicht; één keer te laat gemeld "
           "(fictief).", "RECL", "toezicht.recl@demo.invalid", 14, [frank])
    b.item("justitie", "Het OM vervolgt vader wegens belaging; zitting gepland over drie maanden (fictief).",
           "OM", "officier.om@demo.invalid", 9, [frank])
    b.item("jeugdbescherming", "Ondertoezichtstelling van Gijs uitgesproken voor een jaar; begeleide omgang "
           "eens per twee weken (fictief).", "GI", "jeugdbescherming.gi@demo.invalid", 21, [gijs])
    b.item("hulpverlening", "Moeder en zoon verblijven in de opvang; traject naar zelfstandige woonruimte "
           "gestart (fictief).", "VO", "opvang.vo@demo.invalid", 7, [eva, gijs])
    b.consent(gijs, ["VO"], ["jeugdbescherming"], given_by="Eva Proefmans (fictief) (wettelijk vertegenwoordiger)",
              recorded_by="jeugdbescherming.gi@demo.invalid")
    b.consent(eva, ["RECL"], ["hulpverlening"], method="mondeling", recorded_by="opvang.vo@demo.invalid")
    b.duty_conflict("RECL", "jeugdbescherming", gijs, "teamleider.vt@demo.invalid",
                    "De reclassering moet de omgangsregeling kennen om het contactverbod te kunnen handhaven; "
                    "vader heeft eerder de zoon opgewacht bij school (fictief).")
    return b.created + 1


def _voorbeeld_closed(db: Session) -> int:
    closed = utcnow() - timedelta(days=150)
    case = _new_case(db, "MDA-2025-0007", phase="afgesloten", urgency="normaal",
                     opened_at=closed - timedelta(days=200), closed_at=closed,
                     reason="Partnergeweld; vader dronk fors en dreigde (fictief).",
                     goal="Stoppen van het geweld en hulp bij verslaving (fictief).")
    if case is None:
        return 0
    b = _Builder(db, case)
    b.circle(["LT"], ["wijkteam.lt@demo.invalid"])
    karel = b.person("vermoedelijke_pleger", "Karel Voorbeeld (fictief)", date(1979, 2, 14), "LT")
    lies = b.person("slachtoffer", "Lies Voorbeeld (fictief)", date(1981, 5, 5), "LT")
    b.item("hulpverlening", "Vader heeft een verslavingstraject afgerond; geen nieuwe incidenten (fictief).", "LT",
           "wijkteam.lt@demo.invalid", 160, [karel, lies])
    return b.created + 1


def _pending_referral(db: Session) -> int:
    if db.exec(select(Referral).where(Referral.reference == "AM-2026-0001")).first() is not None:
        return 0
    requester = demo_user(db, "wijkteam.lt@demo.invalid")
    referral = Referral(reference="AM-2026-0001", region_id=requester.organisation.region_id,
                        requested_by_id=requester.id, requester_organisation_id=requester.organisation_id,
                        reason="Nieuwe partner van moeder is de vader uit een eerdere MDA++-casus; opnieuw "
                        "geschreeuw en een kapotte deur, kind slaapt slecht (fictief).",
                        goal="Beoordelen of er opnieuw een gezamenlijk plan nodig is (fictief).", urgency="hoog",
                        submitted_at=utcnow() - timedelta(days=1))
    db.add(referral)
    db.flush()
    for role, name, born in (("vermoedelijke_pleger", "Karel Voorbeeld (fictief)", date(1979, 2, 14)),
                             ("slachtoffer", "Mira de Vries (fictief)", date(1990, 3, 3)),
                             ("kind", "Noor de Vries (fictief)", date(2019, 8, 8))):
        db.add(ReferralPerson(referral_id=referral.id, role=role, name=name, date_of_birth=born,
                              address="Fantasiestraat 7, Demodam (fictief)"))
    for code in ("POL", "VT"):
        db.add(ReferralOrganisation(referral_id=referral.id, organisation_id=demo_organisation(db, code).id))
    db.flush()
    return 6


def seed(db: Session) -> int:
    """Create the demo cases and the pending referral that are missing; return how many records were made."""
    created = _fictief_jansen(db) + _proefmans(db) + _voorbeeld_closed(db) + _pending_referral(db)
    if created:
        audit.record(db, "create", user_name="demo-data", object_type="demo",
                     summary=f"fictieve demo-casussen geladen: {created} records")
    return created
