"""Tasks of the caller's tenant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from alfred_crm_core import Page
from alfred_crm_core.task.models import Task, TaskStatus
from alfred_crm_core.task.schemas import TaskCreate, TaskFilter, TaskRead, TaskUpdate
from alfred_crm_core.task.service import TaskService, is_overdue
from alfred_reference_api.api.v1._params import Cursor, Limit
from alfred_reference_api.deps import UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/tasks", tags=["tasks"])


def _read(task: Task) -> TaskRead:
    return TaskRead.model_validate(task).model_copy(update={"overdue": is_overdue(task)})


@router.get("", summary="List tasks", responses=problems(401, 422))
async def list_tasks(
    uow: UowDep,
    status: TaskStatus | None = None,
    overdue: Annotated[
        bool | None, Query(description="true: open and past due; false: everything else.")
    ] = None,
    due_before: Annotated[datetime | None, Query(description="Due strictly before.")] = None,
    assignee_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TaskRead]:
    """Tasks, newest first."""
    filters = TaskFilter(
        status=status,
        overdue=overdue,
        due_before=due_before,
        assignee_id=assignee_id,
        contact_id=contact_id,
    )
    items, next_cursor = await TaskService(uow).list_page(filters, limit=limit, cursor=cursor)
    return Page[TaskRead](items=[_read(t) for t in items], next_cursor=next_cursor)


@router.post("", status_code=201, summary="Create a task", responses=problems(401, 422))
async def create_task(data: TaskCreate, uow: UowDep) -> TaskRead:
    """Create a task; links to a contact, conversation or lead must be of the same tenant."""
    return _read(await TaskService(uow).create(data))


@router.get("/{task_id}", summary="Get a task", responses=problems(401, 404, 422))
async def get_task(task_id: uuid.UUID, uow: UowDep) -> TaskRead:
    """One task."""
    return _read(await TaskService(uow).get(task_id))


@router.patch("/{task_id}", summary="Update a task", responses=problems(401, 404, 422))
async def update_task(task_id: uuid.UUID, data: TaskUpdate, uow: UowDep) -> TaskRead:
    """Change the fields sent; `done` or `canceled` sets `closed_at`, reopening clears it."""
    return _read(await TaskService(uow).update(task_id, data))


@router.delete(
    "/{task_id}", status_code=204, summary="Delete a task", responses=problems(401, 404, 422)
)
async def delete_task(task_id: uuid.UUID, uow: UowDep) -> Response:
    """Delete a task."""
    await TaskService(uow).delete(task_id)
    return Response(status_code=204)
