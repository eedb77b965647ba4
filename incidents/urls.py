"""The pages of evidence and incidents: the buyer's (/buyer/, /incidents/, /suppliers/, report
attachments), the supplier portal's (/portal/), keyword monitors (/monitors/) and label corrections
(/posts/<id>/label/)."""

from django.urls import path

from .views import (
    bulk,
    buyer,
    disputes,
    eightd,
    labels,
    lists,
    merging,
    monitors,
    portal,
    replies,
    rules,
    sla,
    suppliers,
)

urlpatterns = [
    # Buyers (and operators)
    path("buyer/", buyer.buyer_home, name="buyer-home"),
    path("buyer/report/", buyer.report_problem, name="buyer-report"),
    path("buyer/report/suppliers/", buyer.supplier_choices, name="buyer-supplier-choices"),
    path("incidents/", lists.incident_list, name="incidents"),
    path("incidents/export/<slug:fmt>/", lists.incident_export, name="incidents-export"),
    path("saved-views/", lists.saved_view_create, name="saved-view-create"),
    path("saved-views/<int:pk>/", lists.saved_view_open, name="saved-view"),
    path("saved-views/<int:pk>/delete/", lists.saved_view_delete, name="saved-view-delete"),
    path("incidents/<int:pk>/", buyer.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/follow/", buyer.incident_follow, name="incident-follow"),
    path("incidents/<int:pk>/8d/", eightd.eight_d_report, name="incident-8d"),
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
    path("suppliers/", suppliers.supplier_directory, name="supplier-directory"),
    path("suppliers/<slug:slug>/", buyer.supplier_detail, name="supplier-detail"),
    path("attachments/<uuid:key>/", buyer.attachment_download, name="attachment-download"),
    # Supplier staff
    path("portal/", portal.portal_home, name="portal-home"),
    path("portal/incidents/", portal.incident_list, name="portal-incidents"),
    path("portal/incidents/bulk/", bulk.incident_bulk_action, name="portal-incidents-bulk"),
    path(
        "portal/incidents/export/<slug:fmt>/",
        lists.portal_incident_export,
        name="portal-incidents-export",
    ),
    path("portal/incidents/<int:pk>/", portal.incident_detail, name="portal-incident"),
    path("portal/incidents/<int:pk>/8d/", eightd.portal_eight_d_report, name="portal-incident-8d"),
    path(
        "portal/incidents/<int:pk>/8d/<slug:discipline>/",
        portal.incident_eight_d,
        name="portal-incident-8d-update",
    ),
    # Before the actions' pattern, which would take "disputes" for an action's name.
    path("portal/incidents/<int:pk>/disputes/", disputes.dispute_open, name="portal-dispute"),
    path("portal/incidents/<int:pk>/merge/", merging.incident_merge, name="portal-merge"),
    path("portal/incidents/<int:pk>/split/", merging.incident_split, name="portal-split"),
    path(
        "portal/incidents/<int:pk>/<slug:action>/",
        portal.incident_action,
        name="portal-incident-action",
    ),
    path("portal/settings/", sla.sla_settings, name="portal-settings"),
    path("portal/scorecard/", suppliers.portal_scorecard, name="portal-scorecard"),
    path("portal/rules/", rules.rule_list, name="portal-rules"),
    path("portal/rules/<int:pk>/", rules.rule_edit, name="portal-rule"),
    path("portal/rules/<int:pk>/delete/", rules.rule_delete, name="portal-rule-delete"),
    path("portal/rules/<int:pk>/move/", rules.rule_move, name="portal-rule-move"),
    # Members of a buyer organization or a supplier's team
    path("monitors/", monitors.monitor_list, name="monitors"),
    path("monitors/<int:pk>/", monitors.monitor_detail, name="monitor-detail"),
    path("monitors/<int:pk>/delete/", monitors.monitor_delete, name="monitor-delete"),
    path("monitors/<int:pk>/watch/", monitors.monitor_watch, name="monitor-watch"),
    # Whoever may correct a public post's label
    path("posts/<int:post_id>/label/", labels.post_label, name="post-label"),
]
