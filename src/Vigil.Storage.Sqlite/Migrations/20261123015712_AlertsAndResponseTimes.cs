using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vigil.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AlertsAndResponseTimes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ack_due_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "response_missed_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "summary",
                table: "incidents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "alert_failing_since",
                table: "check_states",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "alert_failures",
                table: "check_states",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "alert_firing",
                table: "check_states",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "alert_successes",
                table: "check_states",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ack_due_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "response_missed_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "summary",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "alert_failing_since",
                table: "check_states");

            migrationBuilder.DropColumn(
                name: "alert_failures",
                table: "check_states");

            migrationBuilder.DropColumn(
                name: "alert_firing",
                table: "check_states");

            migrationBuilder.DropColumn(
                name: "alert_successes",
                table: "check_states");
        }
    }
}
