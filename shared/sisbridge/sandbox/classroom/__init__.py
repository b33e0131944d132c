"""A local Google Classroom: the subset of the Classroom REST API v1 that a grade exporter reads.

    from sisbridge.sandbox.classroom import ClassroomConfig, create_app
    app = create_app(ClassroomConfig(latency_ms=0, seed=0))
    state = app.extensions["classroom_sandbox"]   # ClassroomState: reset(), add_course_work(), …

Read API under `/v1` (courses, teachers, students, courseWork, studentSubmissions,
gradingPeriodSettings, userProfiles) in Google's JSON shapes and error format; mutations for tests
and the bench under `/_sandbox`. Seeded from `sisbridge.sandbox.seed`, deterministic per seed.
"""

from .app import EXTENSION, create_app
from .errors import ApiError, Status
from .models import (
    ClassroomConfig,
    Course,
    CourseWork,
    CourseWorkState,
    Submission,
    SubmissionState,
    SyntheticCourse,
    User,
)
from .store import UNSET, WILDCARD, ClassroomState

__all__ = [
    "EXTENSION",
    "UNSET",
    "WILDCARD",
    "ApiError",
    "ClassroomConfig",
    "ClassroomState",
    "Course",
    "CourseWork",
    "CourseWorkState",
    "Status",
    "Submission",
    "SubmissionState",
    "SyntheticCourse",
    "User",
    "create_app",
]
