"""The ORM models, one module per aggregate."""
from exam.models.analysis import ItemStatistic, QuestionFlag, SittingAnalysis
from exam.models.attempt import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    IllegalTransition,
    PaperItem,
    answers_by_item,
)
from exam.models.audit import AuditEvent, RateLimit, record_audit
from exam.models.bank import (
    BankCell,
    ImportStatus,
    ImportUpload,
    KnowledgeArea,
    Question,
    QuestionStatus,
    QuestionVersion,
    levels_to_mask,
    mask_to_levels,
)
from exam.models.base import Base
from exam.models.certificate import Certificate, CertificateSerial, CertificateStatus
from exam.models.eligibility import EligibilityOverride, ServiceBreak, TrainingRecord
from exam.models.level import AreaWeight, DifficultyShare, Level, PaperSection
from exam.models.mark import Mark
from exam.models.pool import PaperPool, PoolPaper, PoolStatus
from exam.models.practice import PracticeKind, PracticeResponse, PracticeSet
from exam.models.sitting import ApplicationStatus, Enrolment, PreparedPaper, Sitting, SittingApplication, SittingMode
from exam.models.user import ApiToken, Organization, Role, User, UserRole

__all__ = [
    "Answer", "ApiToken", "ApplicationStatus", "AreaWeight", "Attempt", "AttemptKind", "AttemptState", "AuditEvent", "BankCell", "Base", "Certificate", "CertificateSerial",
    "CertificateStatus",
    "DifficultyShare", "EligibilityOverride", "Enrolment", "IllegalTransition", "ImportStatus", "ImportUpload", "ItemStatistic", "KnowledgeArea", "Level", "Mark", "Organization", "PaperItem", "PaperPool", "PaperSection", "PoolPaper", "PoolStatus", "PreparedPaper", "PracticeKind", "PracticeResponse", "PracticeSet", "RateLimit",
    "Question", "QuestionFlag", "QuestionStatus", "QuestionVersion", "Role", "ServiceBreak", "Sitting", "SittingAnalysis", "SittingApplication", "SittingMode", "TrainingRecord", "User", "UserRole", "answers_by_item", "levels_to_mask",
    "mask_to_levels", "record_audit",
]
