"""The case vocabulary. Values are those of the screening contract (case.schema.json), so a case turns into a
case document without translation."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LicenceType(models.TextChoices):
    SINGLE = "single", _("Single licence")
    GENERAL = "general", _("General licence")


class Transaction(models.TextChoices):
    EXPORT = "export", _("Export")
    REEXPORT = "reexport", _("Re-export")
    IN_COUNTRY_TRANSFER = "in_country_transfer", _("In-country transfer (to a foreign person)")


class ItemKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    TECHNOLOGY = "technology", _("Technology")
    SOFTWARE = "software", _("Software")
    SERVICE = "service", _("Service")


class Element(models.TextChoices):
    SC = "Sc", _("Scandium (Sc)")
    Y = "Y", _("Yttrium (Y)")
    LA = "La", _("Lanthanum (La)")
    CE = "Ce", _("Cerium (Ce)")
    PR = "Pr", _("Praseodymium (Pr)")
    ND = "Nd", _("Neodymium (Nd)")
    PM = "Pm", _("Promethium (Pm)")
    SM = "Sm", _("Samarium (Sm)")
    EU = "Eu", _("Europium (Eu)")
    GD = "Gd", _("Gadolinium (Gd)")
    TB = "Tb", _("Terbium (Tb)")
    DY = "Dy", _("Dysprosium (Dy)")
    HO = "Ho", _("Holmium (Ho)")
    ER = "Er", _("Erbium (Er)")
    TM = "Tm", _("Thulium (Tm)")
    YB = "Yb", _("Ytterbium (Yb)")
    LU = "Lu", _("Lutetium (Lu)")
    GA = "Ga", _("Gallium (Ga)")
    GE = "Ge", _("Germanium (Ge)")
    SB = "Sb", _("Antimony (Sb)")
    C = "C", _("Carbon / graphite (C)")


class Form(models.TextChoices):
    METAL = "metal", _("Metal")
    ALLOY = "alloy", _("Alloy")
    TARGET = "target", _("Target")
    MAGNET = "magnet", _("Magnet")
    OXIDE = "oxide", _("Oxide")
    COMPOUND = "compound", _("Compound")
    CRYSTAL = "crystal", _("Crystal")
    FIBRE = "fibre", _("Fibre")
    PHOSPHOR = "phosphor", _("Phosphor")
    POWDER = "powder", _("Powder")
    OTHER = "other", _("Other")


class TechnologyArea(models.TextChoices):
    MINING = "mining", _("Mining")
    SMELTING_SEPARATION = "smelting_separation", _("Smelting and separation")
    METAL_SMELTING = "metal_smelting", _("Metal smelting")
    MAGNET_MANUFACTURING = "magnet_manufacturing", _("Magnet manufacturing")
    RECYCLING = "recycling", _("Recycling")
    PRODUCTION_LINE_SERVICES = "production_line_services", _("Production-line services")


class PartyRole(models.TextChoices):
    END_USER = "end_user", _("End user")
    CONSIGNEE = "consignee", _("Consignee")
    INTERMEDIATE_CONSIGNEE = "intermediate_consignee", _("Intermediate consignee")
    PURCHASER = "purchaser", _("Purchaser")
    OTHER = "other", _("Other")


class PartyCategory(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial")
    GOVERNMENT = "government", _("Government")
    MILITARY = "military", _("Military")
    ACADEMIC = "academic", _("Academic")
    INDIVIDUAL = "individual", _("Individual")
    NGO = "ngo", _("NGO")


class EndUseCategory(models.TextChoices):
    CIVIL = "civil", _("Civil")
    MILITARY = "military", _("Military")
    WMD = "wmd", _("Weapons of mass destruction")
    TERRORISM = "terrorism", _("Terrorism")
    ADVANCED_LOGIC = "advanced_logic_14nm_or_below", _("Logic chips at 14 nm or below")
    ADVANCED_MEMORY = "memory_256_layers_or_more", _("Memory chips of 256 layers or more")
    SEMICONDUCTOR_EQUIPMENT = "semiconductor_equipment_or_materials", _("Semiconductor equipment or materials")
    MILITARY_AI = "military_ai", _("AI with potential military use")
    HUMANITARIAN = "humanitarian", _("Humanitarian")
    BASIC_RESEARCH = "basic_research", _("Basic research")
    RE_MINING = "rare_earth_mining", _("Rare-earth mining")
    RE_SMELTING = "rare_earth_smelting_separation", _("Rare-earth smelting and separation")
    RE_MAGNETS = "rare_earth_magnet_manufacturing", _("Rare-earth magnet manufacturing")
    RE_RECYCLING = "rare_earth_recycling", _("Rare-earth recycling")


class DocumentType(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    END_USER_CERTIFICATE = "end_user_certificate", _("End-user and end-use certificate")
    TECHNICAL_DESCRIPTION = "technical_description", _("Technical description")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SCREENED = "screened", _("Screened")
    IN_REVIEW = "in_review", _("In review")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    AWAITING_COUNTERSIGNATURE = "awaiting_countersignature", _("Awaiting countersignature")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")
