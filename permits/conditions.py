"""The standard conditions a reviewer may attach to a permit. A permit copies the wording it was issued with, so
a later edit of this library never changes what an issued permit says."""

STANDARD_CONDITIONS: dict[str, str] = {
    "no-reexport": "The items may not be re-exported or transferred to a third party without prior written consent.",
    "end-use-only": "The items may be used only for the end use declared in the application.",
    "delivery-proof": "Proof of delivery to the end user is to be filed within 30 days of each shipment.",
    "records": "Records of every shipment under this permit are to be kept for five years.",
    "no-military": "The items may not be used for military end uses or by military end users.",
}
