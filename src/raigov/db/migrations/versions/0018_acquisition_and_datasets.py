"""acquisition (vendors, solicitations and contracts, the use cases they serve, the state of each AI contract
requirement) and the dataset registry (data cards, versions with SHA-256, links to use cases) (issue #20).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')


def _at(name: str):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        'acq_vendors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        _at('created_at'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_vendors')),
        sa.UniqueConstraint('name', name=op.f('uq_acq_vendors_name')),
    )
    op.create_table(
        'acq_contracts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('vendor_id', sa.Integer(), nullable=True),
        sa.Column('component', sa.String(length=20), nullable=True),
        sa.Column('awarded_on', sa.Date(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('option_dates', _json(), nullable=False),
        _at('created_at'),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['vendor_id'], ['acq_vendors.id'], name=op.f('fk_acq_contracts_vendor_id_acq_vendors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_contracts')),
        sa.UniqueConstraint('number', name=op.f('uq_acq_contracts_number')),
    )
    op.create_table(
        'acq_contract_requirements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('requirement', sa.String(length=60), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('clause', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        _at('updated_at'),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['acq_contracts.id'],
                                name=op.f('fk_acq_contract_requirements_contract_id_acq_contracts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_contract_requirements')),
        sa.UniqueConstraint('contract_id', 'requirement',
                            name=op.f('uq_acq_contract_requirements_contract_id_requirement')),
    )
    op.create_table(
        'acq_contract_use_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['acq_contracts.id'],
                                name=op.f('fk_acq_contract_use_cases_contract_id_acq_contracts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_acq_contract_use_cases_use_case_id_use_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_contract_use_cases')),
        sa.UniqueConstraint('contract_id', 'use_case_id', name=op.f('uq_acq_contract_use_cases_contract_id_use_case_id')),
    )
    op.create_index('ix_acq_contract_use_cases_use_case_id', 'acq_contract_use_cases', ['use_case_id'], unique=False)
    op.create_table(
        'datasets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('component', sa.String(length=20), nullable=True),
        sa.Column('owner', sa.String(length=200), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('provenance', sa.Text(), nullable=False),
        sa.Column('collection_method', sa.Text(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('pii', sa.Boolean(), nullable=False),
        sa.Column('protected_characteristics', _json(), nullable=False),
        sa.Column('pta', sa.String(length=200), nullable=False),
        sa.Column('pia', sa.String(length=200), nullable=False),
        sa.Column('sorn', sa.String(length=200), nullable=False),
        sa.Column('retention', sa.Text(), nullable=False),
        sa.Column('quality_notes', sa.Text(), nullable=False),
        sa.Column('known_limits', sa.Text(), nullable=False),
        _at('created_at'),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets')),
        sa.UniqueConstraint('name', name=op.f('uq_datasets_name')),
    )
    op.create_table(
        'dataset_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dataset_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=300), nullable=False),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        _at('created_at'),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_versions_dataset_id_datasets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_versions')),
        sa.UniqueConstraint('dataset_id', 'label', name=op.f('uq_dataset_versions_dataset_id_label')),
    )
    op.create_index(op.f('ix_dataset_versions_sha256'), 'dataset_versions', ['sha256'], unique=False)
    op.create_table(
        'dataset_use_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dataset_id', sa.Integer(), nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_use_cases_dataset_id_datasets'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_dataset_use_cases_use_case_id_use_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_use_cases')),
        sa.UniqueConstraint('dataset_id', 'use_case_id', 'purpose',
                            name=op.f('uq_dataset_use_cases_dataset_id_use_case_id_purpose')),
    )
    op.create_index('ix_dataset_use_cases_use_case_id', 'dataset_use_cases', ['use_case_id'], unique=False)


def downgrade() -> None:
    for table in ('dataset_use_cases', 'dataset_versions', 'datasets', 'acq_contract_use_cases',
                  'acq_contract_requirements', 'acq_contracts', 'acq_vendors'):
        op.drop_table(table)
