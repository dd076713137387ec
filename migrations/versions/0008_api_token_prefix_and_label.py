"""api tokens: prefix and label shown in the owner's list of tokens

Revision ID: 0008_token_prefix
Revises: 0007_idempotency
Create Date: 2026-12-03 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_token_prefix'
down_revision = '0007_idempotency'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prefix', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('label', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('label')
        batch_op.drop_column('prefix')
