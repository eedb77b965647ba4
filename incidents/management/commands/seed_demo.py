"""Load the demo: buyer organizations, suppliers, accounts, reports, public posts and incidents.

Idempotent: every object has a fixed identity (slug, e-mail, external id) and is created only when
missing; incidents are walked through their lifecycle only on the run that created their evidence.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents.labels import Label
from incidents.models import (
    Category,
    ClassifierModel,
    Incident,
    KeywordMonitor,
    Post,
    RoutingRule,
    Severity,
)
from suppliers.models import Membership, Organization, Supplier, SupplierAlias, User, VendorCode

ORGANIZATIONS = [
    ("acme", "Acme Manufacturing"),
    ("globex", "Globex Industrial"),
    ("stark", "Stark Fabrication"),
    ("wonka", "Wonka Foods"),
]

# slug, name, handle, hashtag, extra aliases, domain, context words
SUPPLIERS = [
    (
        "initech",
        "Initech Components",
        "@InitechParts",
        "#Initech",
        ["Initech"],
        "initech.example",
        ["parts", "part", "components", "bracket", "connector", "order", "delivery", "shipment"],
    ),
    (
        "umbrella",
        "Umbrella Packaging",
        "@UmbrellaPack",
        "#UmbrellaPackaging",
        ["Umbrella"],
        "umbrella-packaging.example",
        ["box", "boxes", "carton", "cartons", "packaging", "pallet"],
    ),
    (
        "vandelay",
        "Vandelay Industries",
        "@VandelayInd",
        "#Vandelay",
        ["Vandelay"],
        "vandelay.example",
        ["latex", "gloves", "order", "shipment"],
    ),
    (
        "cyberdyne",
        "Cyberdyne Motors",
        "@CyberdyneMotors",
        "#Cyberdyne",
        ["Cyberdyne"],
        "cyberdyne.example",
        ["motor", "motors", "servo", "drive", "order"],
    ),
    (
        "tyrell",
        "Tyrell Plastics",
        "@TyrellPlastics",
        "#TyrellPlastics",
        ["Tyrell"],
        "tyrell-plastics.example",
        ["resin", "moulding", "plastic", "housing", "order"],
    ),
    (
        "hooli",
        "Hooli Electronics",
        "@HooliElec",
        "#Hooli",
        ["Hooli"],
        "hooli.example",
        ["board", "boards", "pcb", "chip", "chips", "order"],
    ),
    (
        "oscorp",
        "Oscorp Chemicals",
        "@OscorpChem",
        "#Oscorp",
        ["Oscorp"],
        "oscorp.example",
        ["drum", "drums", "solvent", "chemical", "batch", "order"],
    ),
    (
        "kramerica",
        "Kramerica Freight",
        "@KramericaFreight",
        "#Kramerica",
        ["Kramerica"],
        "kramerica.example",
        ["truck", "freight", "delivery", "shipment", "driver"],
    ),
]

# The public posts (by number) that come labelled: the demo's model learns from them (and the
# buyer reports), and classifies the others.
LABELLED_POSTS = range(1, 121)

# email, first name, last name, party kind, party slug, role, superuser
ACCOUNTS = [
    ("admin@demo.test", "Ada", "Operator", None, None, None, True),
    ("buyer@acme.test", "Alice", "Archer", "organization", "acme", "admin", False),
    ("purchasing@acme.test", "Aaron", "Abbott", "organization", "acme", "member", False),
    ("buyer@globex.test", "Bob", "Barker", "organization", "globex", "admin", False),
    ("buyer@stark.test", "Sam", "Stone", "organization", "stark", "admin", False),
    ("buyer@wonka.test", "Wendy", "Wills", "organization", "wonka", "admin", False),
    ("quality@initech.test", "Carol", "Chen", "supplier", "initech", "admin", False),
    ("responder@initech.test", "Ivan", "Ito", "supplier", "initech", "responder", False),
    ("viewer@initech.test", "Vera", "Vance", "supplier", "initech", "viewer", False),
    ("quality@umbrella.test", "Dave", "Duarte", "supplier", "umbrella", "admin", False),
    ("responder@umbrella.test", "Uma", "Ueda", "supplier", "umbrella", "responder", False),
]

REPORT_TEXTS = {
    "late-delivery": "Order {po} was due {days} days ago and has still not arrived; our line is waiting for {sku}.",
    "defect": "Incoming inspection rejected {qty} units of {sku} (lot {lot}): dimensions out of tolerance.",
    "damaged": "Pallet arrived with crushed cartons; {qty} pieces of {sku} damaged in transit.",
    "wrong-item": "We ordered {sku} under {po} but received a different part number.",
    "documentation": "Certificate of conformance missing for lot {lot}; the goods are on hold at receiving.",
    "billing": "The invoice for order {po} charges more than the agreed contract price.",
    "packaging": "{sku} was packed loose without dividers; {qty} parts scratched.",
    "service": "Three e-mails to the account manager about order {po} went unanswered.",
}

PUBLIC_COMPLAINTS = [
    "{handle} third delivery this month that arrived late. Not happy at all.",
    "Got a shipment from {name} today and half the parts were broken. Terrible. {hashtag}",
    "{handle} your customer service hung up on me twice. Awful.",
    "Anyone else getting defective parts from {name} lately? Our whole batch is faulty.",
    "{handle} wrong item AGAIN. Ordered one part, got another. Unbelievable.",
    "{handle} still waiting on an order that was due last week. Delayed with no update, terrible.",
    "Cartons from {name} arrived crushed and damaged, what a mess {hashtag}",
    "{handle} overcharged on the last invoice and no refund yet. Frustrating.",
]
# What each complaint above is about (a category's slug), as an operator reviewing them labels it.
PUBLIC_COMPLAINT_CATEGORIES = [
    "late-delivery",
    "damaged",
    "service",
    "defect",
    "wrong-item",
    "late-delivery",
    "damaged",
    "billing",
]
PUBLIC_OTHER = [
    "{handle} thanks for the quick turnaround, great service!",
    "Shout out to {name} for the fast delivery this week, excellent work",
    "{handle} do you ship to Canada?",
    "Visiting the {name} booth at the trade fair today",
]


class Command(BaseCommand):
    help = "Load demo data (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (it creates accounts with a known password).",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password; it refuses to run with "
                "DEBUG off. Use --force if this really is a demo database."
            )
        self.rng = random.Random(20261122)
        self.now = timezone.now()
        with transaction.atomic():
            organizations = self._organizations()
            suppliers = self._suppliers(organizations)
            users = self._accounts(organizations, suppliers)
            self._monitors(suppliers, users)
            new_post_ids = self._reports(organizations, suppliers, users)
            new_post_ids += self._public_posts(suppliers, LABELLED_POSTS)
        if new_post_ids:
            # Process here rather than wait for a worker, so the demo is complete on return.
            services.posts_process(post_ids=new_post_ids)
        # The demo classifies with a model learned from its labelled posts, as a site would once
        # its operators have labelled some; the posts after that are classified by it.
        self._learned_model()
        with transaction.atomic():
            later_post_ids = self._public_posts(suppliers, range(LABELLED_POSTS.stop, 161))
        if later_post_ids:
            services.posts_process(post_ids=later_post_ids)
        if new_post_ids:
            self._walk_lifecycle(suppliers, users)
        self._routing_rules(suppliers, users)
        # The scorecards of the demo's weeks, months and quarters, rather than at the hourly run.
        services.scorecards_recompute(periods=["week", "month", "quarter"])
        self._print_summary()

    # --- parties --------------------------------------------------------------------------
    def _organizations(self) -> dict[str, Organization]:
        return {
            slug: Organization.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in ORGANIZATIONS
        }

    def _suppliers(self, organizations: dict[str, Organization]) -> dict[str, Supplier]:
        suppliers = {}
        for index, (slug, name, handle, hashtag, aliases, domain, words) in enumerate(SUPPLIERS):
            supplier, _ = Supplier.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "website": f"https://{domain}/", "context_words": words},
            )
            wanted = [
                (SupplierAlias.Kind.NAME, name),
                (SupplierAlias.Kind.HANDLE, handle),
                (SupplierAlias.Kind.HASHTAG, hashtag),
                (SupplierAlias.Kind.DOMAIN, domain),
                *[(SupplierAlias.Kind.ALIAS, alias) for alias in aliases],
            ]
            for kind, text in wanted:
                SupplierAlias.objects.get_or_create(supplier=supplier, kind=kind, text=text)
            for number, organization in enumerate(organizations.values()):
                VendorCode.objects.get_or_create(
                    organization=organization,
                    code=f"V{(number + 1) * 1000 + index + 1:05d}",
                    defaults={"supplier": supplier},
                )
            suppliers[slug] = supplier
        return suppliers

    def _accounts(self, organizations, suppliers) -> dict[str, User]:
        users = {}
        # Hashing is deliberately slow; every demo account shares the one password, hashed once.
        password_hash = None
        for email, first, last, party, slug, role, superuser in ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                password_hash = password_hash or make_password(settings.SW_DEMO_PASSWORD)
                user = User.objects.create(
                    email=email,
                    password=password_hash,
                    first_name=first,
                    last_name=last,
                    is_staff=superuser,
                    is_superuser=superuser,
                )
            if party and not Membership.objects.filter(user=user).exists():
                assert role is not None  # every account with a party has a role in it
                Membership.objects.create(
                    user=user,
                    role=role,
                    organization=organizations[slug] if party == "organization" else None,
                    supplier=suppliers[slug] if party == "supplier" else None,
                )
            users[email] = user
        return users

    # --- evidence -------------------------------------------------------------------------
    def _reports(self, organizations, suppliers, users) -> list[int]:
        """About 90 buyer reports; a few suppliers have problems that several buyers share."""
        buyers = [u for u in users.values() if u.party and u.party.is_buyer]
        categories = {c.slug: c for c in Category.objects.filter(slug__in=REPORT_TEXTS)}
        visibilities = [Post.Visibility.ANONYMOUS] * 5 + [Post.Visibility.NAMED] * 3
        visibilities += [Post.Visibility.PRIVATE] * 2
        # Shared problems: the same lot or SKU reported by buyers of several organizations.
        shared = [
            ("initech", "defect", "L-2611", "BRK-2040"),
            ("initech", "late-delivery", "", ""),
            ("umbrella", "damaged", "", "CTN-600"),
            ("umbrella", "packaging", "", ""),
            ("oscorp", "documentation", "B-7781", "SOLV-20"),
            ("hooli", "defect", "", "PCB-118"),
            ("kramerica", "late-delivery", "", ""),
        ]
        created = []
        for number in range(1, 91):
            external_id = f"demo-report-{number:03d}"
            if Post.objects.filter(source=Post.BUYER_SOURCE, external_id=external_id).exists():
                continue
            if number <= 49:
                slug, category, lot, sku = shared[number % len(shared)]
            else:
                slug = self.rng.choice(list(suppliers))
                category = self.rng.choice(list(REPORT_TEXTS))
                lot, sku = "", f"P-{self.rng.randint(100, 999)}"
            author = buyers[number % len(buyers)]
            po_number = f"PO-{45000 + number}"
            shown_sku = sku or f"P-{self.rng.randint(100, 999)}"
            shown_lot = lot or f"L-{self.rng.randint(1000, 9999)}"
            quantity = self.rng.randint(5, 400)
            values = {
                "po": po_number,
                "sku": shown_sku,
                "lot": shown_lot,
                "qty": quantity,
                "days": self.rng.randint(2, 12),
            }
            post = services.post_report(
                author=author,
                supplier=suppliers[slug],
                text=REPORT_TEXTS[category].format(**values),
                category=categories[category],
                severity=self.rng.choice(
                    [
                        Severity.LOW,
                        Severity.MEDIUM,
                        Severity.MEDIUM,
                        Severity.HIGH,
                        Severity.CRITICAL,
                    ]
                ),
                visibility=visibilities[number % len(visibilities)],
                po_number=po_number,
                sku=sku,
                lot=lot,
                quantity_affected=quantity,
                external_id=external_id,
                published_at=self.now - timedelta(days=self.rng.randint(0, 45), hours=number % 24),
            )
            created.append(post.pk)
        return created

    def _public_posts(self, suppliers, numbers: range) -> list[int]:
        """Public posts naming suppliers (160 in all): mostly complaints, some praise and
        questions. Those numbered in LABELLED_POSTS come labelled, as an operator labels them."""
        rows = []
        labels: dict[str, Label] = {}
        for number in numbers:
            _, name, handle, hashtag, *_ = SUPPLIERS[number % len(SUPPLIERS)]
            complaint = bool(number % 4)
            templates = PUBLIC_COMPLAINTS if complaint else PUBLIC_OTHER
            text = templates[number % len(templates)].format(
                handle=handle, name=name, hashtag=hashtag
            )
            if number in LABELLED_POSTS:
                category = (
                    PUBLIC_COMPLAINT_CATEGORIES[number % len(templates)] if complaint else None
                )
                labels[f"demo-social-{number:04d}"] = Label(complaint, category)
            rows.append(
                {
                    "external_id": f"demo-social-{number:04d}",
                    "text": text,
                    "author_handle": f"{self.rng.choice(['ops', 'maker', 'shop', 'line', 'plant'])}_{self.rng.randint(10, 999)}",
                    "url": f"https://social.example/posts/demo-{number:04d}",
                    "published_at": self.now
                    - timedelta(days=self.rng.randint(0, 30), minutes=number * 7),
                }
            )
        post_ids = services.posts_ingest(source="social", rows=rows).post_ids
        services.posts_label_imported(source="social", labels=labels)
        return post_ids

    def _learned_model(self) -> None:
        """Train and activate a model from the labelled posts, unless one is in use already."""
        if ClassifierModel.objects.filter(is_active=True).exists():
            return
        result = services.classifier_train(force=True)
        if result.activated and result.model is not None:
            self.stdout.write(
                f"Classifier in use: {result.model.version}, learned from {result.examples} "
                f"labelled posts (complaint F1 {result.metrics.get('complaint_f1', 0):.2f} on "
                "those held back)"
            )
        else:
            self.stdout.write(f"No model learned ({result.reason}); the lexicon classifies.")

    # --- lifecycle ------------------------------------------------------------------------
    def _walk_lifecycle(self, suppliers, users) -> None:
        """Put incidents in every state, the way supplier staff would."""
        initech_admin = users["quality@initech.test"]
        initech_responder = users["responder@initech.test"]
        umbrella_admin = users["quality@umbrella.test"]
        # Suppliers without a team on supplierwatch answer by other means; an operator records it.
        operator = users["admin@demo.test"]
        incidents = {
            slug: list(Incident.objects.filter(supplier=suppliers[slug]).order_by("id"))
            for slug in ("initech", "umbrella", "oscorp", "hooli", "kramerica", "cyberdyne")
        }

        def nth(slug: str, index: int) -> Incident | None:
            found = incidents[slug]
            return found[index] if index < len(found) else None

        if incident := nth("initech", 0):
            services.incident_acknowledge(incident=incident, actor=initech_admin)
            services.incident_assign(
                incident=incident, actor=initech_admin, assignee=initech_responder
            )
            services.incident_start_investigation(incident=incident, actor=initech_responder)
            today = timezone.localdate(self.now)
            for discipline, text, owner, due, done in [
                (
                    "d1",
                    "Quality engineer, moulding supervisor, logistics lead.",
                    initech_admin,
                    None,
                    today,
                ),
                (
                    "d3",
                    "Lot quarantined at our warehouse; replacement parts ship from lot L-2702.",
                    initech_responder,
                    today,
                    today,
                ),
                ("d4", "", initech_responder, today - timedelta(days=2), None),
                ("d5", "", initech_admin, today + timedelta(days=7), None),
            ]:
                services.eightd_update(
                    incident=incident,
                    discipline=discipline,
                    actor=initech_responder,
                    text=text,
                    owner=owner,
                    due_on=due,
                    done_on=done,
                )
            services.incident_respond(
                incident=incident,
                author=initech_responder,
                body="We have quarantined the lot and are measuring retained samples. Replacements ship this week.",
            )
        if incident := nth("initech", 1):
            services.incident_respond(
                incident=incident,
                author=initech_admin,
                body="Thank you for the reports. A carrier change caused the delays; we are catching up.",
            )
        if incident := nth("umbrella", 0):
            services.incident_acknowledge(incident=incident, actor=umbrella_admin)
            for discipline, text in [
                ("d3", "Double-walled cartons for all open orders."),
                ("d4", "A supplier of ours changed the board grade without notice."),
                ("d5", "Board grade is now checked at our incoming inspection."),
                ("d7", "Change notification clause added to our own supplier contracts."),
            ]:
                services.eightd_update(
                    incident=incident,
                    discipline=discipline,
                    actor=umbrella_admin,
                    text=text,
                    owner=umbrella_admin,
                    done_on=timezone.localdate(self.now),
                )
            services.incident_resolve(
                incident=incident, actor=umbrella_admin, note="Fixed from order 8812 on."
            )
        if incident := nth("umbrella", 1):
            services.incident_resolve(incident=incident, actor=umbrella_admin)
            services.incident_close(incident=incident, actor=umbrella_admin)
        for slug in ("oscorp", "hooli"):
            if incident := nth(slug, 0):
                services.incident_resolve(
                    incident=incident, actor=operator, note="Resolved by the supplier by phone."
                )
        if incident := nth("kramerica", 0):
            services.incident_start_investigation(incident=incident, actor=operator)
        # A regression: new evidence for a resolved incident reopens it.
        reopened = nth("oscorp", 0)
        if reopened is not None:
            buyer = users["buyer@globex.test"]
            post = services.post_report(
                author=buyer,
                supplier=reopened.supplier,
                text=f"Lot {reopened.lot or 'B-7781'} again arrived without its certificate of conformance.",
                category=reopened.category,
                severity=Severity.HIGH,
                visibility=Post.Visibility.NAMED,
                lot=reopened.lot,
                sku=reopened.sku,
                external_id="demo-report-regression",
            )
            services.posts_process(post_ids=[post.pk])

    def _monitors(self, suppliers, users) -> None:
        """Acme watches what the public says of damaged cartons (before the demo posts arrive,
        so it finds them); Initech's team watches what customers praise it for."""
        if KeywordMonitor.objects.exists():
            return
        services.monitor_save(
            actor=users["buyer@acme.test"],
            name="Crushed or damaged cartons",
            query='cartons AND (crushed OR damaged) OR "broken pallet"',
        )
        services.monitor_save(
            actor=users["quality@initech.test"],
            name="Praise for our service",
            query='"quick turnaround" OR "great service" OR "excellent work"',
            suppliers=[suppliers["initech"]],
        )

    def _routing_rules(self, suppliers, users) -> None:
        """Initech's admin gives new high and critical incidents to its responder (after the demo
        incidents exist: they stay as the lifecycle left them); new reports show it at work."""
        initech = suppliers["initech"]
        if RoutingRule.objects.filter(supplier=initech).exists():
            return
        services.routing_rule_save(
            actor=users["quality@initech.test"],
            supplier=initech,
            name="High and critical to Ivan",
            severity=Severity.HIGH,
            assignees=[users["responder@initech.test"]],
        )

    def _print_summary(self) -> None:
        by_status = {
            status: Incident.objects.filter(status=status).count()
            for status in Incident.Status.values
        }
        self.stdout.write(
            f"Demo data ready: {Organization.objects.count()} organizations, "
            f"{Supplier.objects.count()} suppliers, {Post.objects.count()} posts, "
            f"{Incident.objects.count()} incidents "
            + ", ".join(f"{count} {status}" for status, count in by_status.items())
        )
        self.stdout.write(
            f"Log in at /accounts/login/ with password {settings.SW_DEMO_PASSWORD!r}:"
        )
        for email, _, _, party, slug, role, superuser in ACCOUNTS:
            who = "operator (superuser)" if superuser else f"{role} of {slug} ({party})"
            self.stdout.write(f"  {email:<26} {who}")
