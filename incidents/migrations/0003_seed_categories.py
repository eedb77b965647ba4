"""A sensible starting taxonomy for procurement quality problems; operators edit it in the admin."""

from django.db import migrations

CATEGORIES = [
    (
        "late-delivery",
        "Late delivery",
        "Delivered after the agreed date, or still on its way.",
        [
            "late",
            "delay",
            "delayed",
            "delays",
            "overdue",
            "behind schedule",
            "still waiting",
            "hours late",
            "days late",
            "postponed",
            "missed the delivery",
            "not on time",
            "waiting",
        ],
    ),
    (
        "cancelled-order",
        "Cancelled or not delivered",
        "The supplier cancelled, or nothing came.",
        [
            "cancelled",
            "canceled",
            "cancellation",
            "cancel",
            "never arrived",
            "not delivered",
            "never delivered",
            "no show",
            "rebooked",
            "call off",
        ],
    ),
    (
        "defect",
        "Defect / nonconformance",
        "Delivered items do not meet their specification.",
        [
            "defect",
            "defective",
            "faulty",
            "broken",
            "out of spec",
            "nonconformance",
            "nonconforming",
            "failed inspection",
            "doesn't work",
            "does not work",
            "malfunction",
            "cracked",
            "crack",
            "corroded",
            "leaking",
            "tolerance",
        ],
    ),
    (
        "damaged",
        "Damaged in transit",
        "Items arrived damaged.",
        [
            "damaged",
            "damage",
            "dented",
            "crushed",
            "torn",
            "smashed",
            "scratched",
            "water damage",
            "wet",
            "ripped",
        ],
    ),
    (
        "wrong-item",
        "Wrong item or quantity",
        "Wrong part, wrong quantity or missing items.",
        [
            "wrong item",
            "wrong part",
            "wrong product",
            "short shipment",
            "short shipped",
            "missing items",
            "incorrect quantity",
            "mislabeled",
            "mislabelled",
            "substituted",
        ],
    ),
    (
        "lost-shipment",
        "Lost shipment",
        "A shipment or part of it went missing.",
        [
            "lost",
            "missing",
            "misplaced",
            "can't find",
            "cannot find",
            "lost luggage",
            "lost shipment",
            "never found",
            "tracking",
        ],
    ),
    (
        "documentation",
        "Documentation",
        "Certificates, labels or paperwork missing or wrong.",
        [
            "certificate",
            "coc",
            "certificate of conformance",
            "paperwork",
            "documentation",
            "datasheet",
            "packing list",
            "label",
            "labels",
            "customs",
        ],
    ),
    (
        "service",
        "Customer service",
        "Hard to reach, slow or unhelpful support.",
        [
            "customer service",
            "rude",
            "no response",
            "on hold",
            "hold",
            "unhelpful",
            "nobody",
            "no one",
            "call center",
            "agent",
            "support",
            "staff",
            "attitude",
            "ignored",
            "hung up",
        ],
    ),
    (
        "billing",
        "Billing and pricing",
        "Wrong invoices, unexpected fees, refunds.",
        [
            "invoice",
            "overcharged",
            "charged",
            "charge",
            "refund",
            "fee",
            "fees",
            "price",
            "billing",
            "credit note",
            "payment",
        ],
    ),
    (
        "ordering",
        "Ordering and booking",
        "Problems placing or changing an order or booking.",
        [
            "order",
            "booking",
            "book",
            "website",
            "portal",
            "reservation",
            "change my order",
            "online",
            "app",
            "system",
        ],
    ),
    (
        "safety",
        "Safety",
        "A hazard to people or property.",
        [
            "unsafe",
            "safety",
            "hazard",
            "hazardous",
            "injury",
            "injured",
            "recall",
            "contamination",
            "contaminated",
            "fire",
            "smoke",
            "emergency",
        ],
    ),
    (
        "packaging",
        "Packaging",
        "Poor or wrong packaging.",
        ["packaging", "poorly packed", "pallet", "unlabeled", "unlabelled", "box", "packed"],
    ),
]


def seed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    for position, (slug, name, description, keywords) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "keywords": keywords,
                "position": position * 10,
            },
        )


def unseed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    Category.objects.filter(slug__in=[slug for slug, *_ in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
