"""second-factor failures counted on their own; failed logins throttled per client address

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

A correct password used to reset the one failure count, so a second factor could be guessed without
limit (re-enter the password after every few wrong codes). ``totp_failures`` counts the wrong codes
alone; ``login_throttle`` counts failures per client address across accounts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('totp_first_failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_address'), ['address'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_address'))
    op.drop_table('login_throttle')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('totp_first_failed_at')
        batch_op.drop_column('totp_failures')
