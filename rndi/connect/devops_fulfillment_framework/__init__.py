"""The Connect DevOps fulfillment framework: sagas of transactions with injection, and
flows for validation, other interactive events and scheduled tasks."""

# First, before any module a published package could have overwritten is imported. On
# such an installation only `rndi-saga doctor` gets past this, and it needs none of them.
from rndi.connect.devops_fulfillment_framework.installation import refuse_clashes

if refuse_clashes():
    from rndi.connect.devops_fulfillment_framework._base import Flow
    from rndi.connect.devops_fulfillment_framework.application import Saga
    from rndi.connect.devops_fulfillment_framework.exceptions import (
        InvalidResponse,
        JournalUnavailable,
        SagaError,
        StepNotReplayable,
        UnrecordableResult,
    )
    from rndi.connect.devops_fulfillment_framework.flows import (
        InteractiveFlow,
        ScheduledFlow,
        ValidationFlow,
    )
    from rndi.connect.devops_fulfillment_framework.journal import StepJournal
    from rndi.connect.devops_fulfillment_framework.lease import RequestLease
    from rndi.connect.devops_fulfillment_framework.multistep import (
        MultiStepTransaction,
        Step,
        StepWiringError,
    )
    from rndi.connect.devops_fulfillment_framework.providers import (
        CacheServiceProvider,
        ConfigurationServiceProvider,
        ConnectServiceProvider,
        JournalServiceProvider,
        OfflineServiceProvider,
    )
    from rndi.connect.devops_fulfillment_framework.retry import Retry, is_retryable

__all__ = [
    "CacheServiceProvider",
    "ConfigurationServiceProvider",
    "ConnectServiceProvider",
    "Flow",
    "InteractiveFlow",
    "InvalidResponse",
    "JournalServiceProvider",
    "JournalUnavailable",
    "MultiStepTransaction",
    "OfflineServiceProvider",
    "RequestLease",
    "Retry",
    "Saga",
    "SagaError",
    "ScheduledFlow",
    "Step",
    "StepJournal",
    "StepNotReplayable",
    "StepWiringError",
    "UnrecordableResult",
    "ValidationFlow",
    "is_retryable",
]
