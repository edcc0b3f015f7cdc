using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vigil.Storage.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class StepRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_step_executions_incident_id",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "step_index",
                table: "step_executions");

            migrationBuilder.RenameColumn(
                name: "confirmed_by",
                table: "step_executions",
                newName: "reason");

            migrationBuilder.AddColumn<bool>(
                name: "cancel_requested",
                table: "step_executions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "created_at",
                table: "step_executions",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deadline",
                table: "step_executions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "instance",
                table: "step_executions",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "step_executions",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<bool>(
                name: "output_truncated",
                table: "step_executions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "parameters",
                table: "step_executions",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "step_id",
                table: "step_executions",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "step_title",
                table: "step_executions",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "ix_step_executions_incident_id_step_id",
                table: "step_executions",
                columns: new[] { "incident_id", "step_id" });

            migrationBuilder.CreateIndex(
                name: "ix_step_executions_state",
                table: "step_executions",
                column: "state");

            migrationBuilder.CreateIndex(
                name: "ux_step_executions_running",
                table: "step_executions",
                columns: new[] { "incident_id", "step_id" },
                unique: true,
                filter: "\"state\" = 'running'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_step_executions_incident_id_step_id",
                table: "step_executions");

            migrationBuilder.DropIndex(
                name: "ix_step_executions_state",
                table: "step_executions");

            migrationBuilder.DropIndex(
                name: "ux_step_executions_running",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "cancel_requested",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "created_at",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "deadline",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "instance",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "output_truncated",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "parameters",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "step_id",
                table: "step_executions");

            migrationBuilder.DropColumn(
                name: "step_title",
                table: "step_executions");

            migrationBuilder.RenameColumn(
                name: "reason",
                table: "step_executions",
                newName: "confirmed_by");

            migrationBuilder.AddColumn<int>(
                name: "step_index",
                table: "step_executions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "ix_step_executions_incident_id",
                table: "step_executions",
                column: "incident_id");
        }
    }
}
