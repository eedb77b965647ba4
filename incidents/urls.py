"""The pages of evidence and incidents: the buyer's (/buyer/, /incidents/, /suppliers/, report
attachments), the supplier portal's (/portal/) and label corrections (/posts/<id>/label/)."""

from django.urls import path

from .views import buyer, disputes, labels, portal, replies, rules

urlpatterns = [
    # Buyers (and operators)
    path("buyer/", buyer.buyer_home, name="buyer-home"),
    path("buyer/report/", buyer.report_problem, name="buyer-report"),
    path("buyer/report/suppliers/", buyer.supplier_choices, name="buyer-supplier-choices"),
    path("incidents/<int:pk>/", buyer.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/follow/", buyer.incident_follow, name="incident-follow"),
    path(
        "incidents/<int:pk>/disputes/<int:dispute_id>/",
        disputes.dispute_decide,
        name="dispute-decide",
    ),
    path(
        "incidents/<int:pk>/<slug:action>/",
        replies.incident_answer_back,
        name="incident-answer-back",
    ),
    path("suppliers/<slug:slug>/", buyer.supplier_detail, name="supplier-detail"),
    path("attachments/<uuid:key>/", buyer.attachment_download, name="attachment-download"),
    # Supplier staff
    path("portal/", portal.portal_home, name="portal-home"),
    path("portal/incidents/", portal.incident_list, name="portal-incidents"),
    path("portal/incidents/<int:pk>/", portal.incident_detail, name="portal-incident"),
    # Before the actions' pattern, which would take "disputes" for an action's name.
    path("portal/incidents/<int:pk>/disputes/", disputes.dispute_open, name="portal-dispute"),
    path(
        "portal/incidents/<int:pk>/<slug:action>/",
        portal.incident_action,
        name="portal-incident-action",
    ),
    path("portal/rules/", rules.rule_list, name="portal-rules"),
    path("portal/rules/<int:pk>/", rules.rule_edit, name="portal-rule"),
    path("portal/rules/<int:pk>/delete/", rules.rule_delete, name="portal-rule-delete"),
    path("portal/rules/<int:pk>/move/", rules.rule_move, name="portal-rule-move"),
    # Whoever may correct a public post's label
    path("posts/<int:post_id>/label/", labels.post_label, name="post-label"),
]
